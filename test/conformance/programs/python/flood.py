import sys


def main(bytes):
    chunk = "x" * 2**20
    for _ in range(bytes // len(chunk)):
        sys.stdout.write(chunk)
    sys.stdout.write("x" * (bytes % len(chunk)))
    sys.stdout.flush()
    sys.stderr.write("é" * 10)
