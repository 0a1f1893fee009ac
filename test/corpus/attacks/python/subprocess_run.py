# corpus: attack class=process form=textbook
# subprocess.run starts a program and returns its output.
import subprocess


def main():
    return {"out": subprocess.run(["id"], capture_output=True, text=True).stdout}
