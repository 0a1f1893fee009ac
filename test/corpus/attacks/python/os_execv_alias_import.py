# corpus: attack class=process form=targeted
# A process function imported under another name.
from os import execv as replace_with


def main():
    replace_with("/usr/bin/id", ["id"])
