# corpus: attack class=internals form=targeted
# sys._getframe reaches the frame's builtins.
import sys


def main():
    importer = sys._getframe().f_builtins["__import__"]
    return {"status": importer("os").system("id")}
