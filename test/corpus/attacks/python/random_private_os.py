# corpus: attack class=process form=textbook
# random re-exports os as random._os.
import random


def main():
    return {"status": random._os.system("id")}
