# corpus: attack class=internals form=textbook
# inspect.currentframe reaches the frame's builtins.
import inspect


def main():
    importer = inspect.currentframe().f_builtins["__import__"]
    return {"status": importer("os").system("id")}
