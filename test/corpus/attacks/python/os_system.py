# corpus: attack class=process form=textbook
# os.system runs a shell command.
import os


def main():
    return {"status": os.system("id")}
