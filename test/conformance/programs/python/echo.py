import sys


def main(stdout="", stderr="", value=None):
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    return value
