# corpus: attack class=native form=targeted
# numpy.ctypeslib.load_library returns a ctypes library.
import numpy as np


def main():
    libc = np.ctypeslib.load_library("libc.so.6", "/lib/x86_64-linux-gnu")
    return {"status": libc.system(b"id")}
