# corpus: attack class=process form=textbook
# os.popen runs a shell command and reads its output.
import os


def main():
    return {"out": os.popen("id").read()}
