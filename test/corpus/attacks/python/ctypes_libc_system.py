# corpus: attack class=native form=textbook
# ctypes loads libc and calls system().
import ctypes


def main():
    libc = ctypes.CDLL("libc.so.6")
    return {"status": libc.system(b"id")}
