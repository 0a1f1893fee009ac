import os

os.closerange(3, 1024)


def main():
    return 1
