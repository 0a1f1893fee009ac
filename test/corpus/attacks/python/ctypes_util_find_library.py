# corpus: attack class=native form=textbook
# ctypes.util finds libc, then system() runs id.
from ctypes import CDLL
from ctypes.util import find_library


def main():
    return {"status": CDLL(find_library("c") or "libc.so.6").system(b"id")}
