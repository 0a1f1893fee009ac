import sys


def main(code):
    sys.exit(code)
