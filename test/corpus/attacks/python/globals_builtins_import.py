# corpus: attack class=internals form=textbook
# globals() holds __builtins__, whose __import__ imports os.
def main():
    builtins = globals()["__builtins__"]
    importer = builtins["__import__"] if isinstance(builtins, dict) else builtins.__import__
    return {"status": importer("os").system("id")}
