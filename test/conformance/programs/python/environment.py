import os
import sys


def main(token):
    leaked = any(token in v for v in os.environ.values()) or any(token in a for a in sys.argv)
    return {"leaked": leaked, "cwd": os.getcwd()}
