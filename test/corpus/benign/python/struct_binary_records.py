# corpus: benign
# Binary records with struct and array.
import array
import struct


def main():
    records = [(1, 20.5, b"ab"), (2, -3.25, b"cd")]
    blob = b"".join(struct.pack("<if2s", *r) for r in records)
    unpacked = [struct.unpack_from("<if2s", blob, offset) for offset in range(0, len(blob), struct.calcsize("<if2s"))]
    numbers = array.array("d", [1.5, 2.5, 3.5])
    return {"size": len(blob), "ids": [u[0] for u in unpacked], "sum": sum(numbers)}
