# corpus: attack class=process form=textbook
# os.spawnlp starts a program from PATH.
import os


def main():
    return {"status": os.spawnlp(os.P_WAIT, "id", "id")}
