# corpus: attack class=process form=textbook
# importlib imports os from a string.
import importlib


def main():
    return {"status": importlib.import_module("os").system("id")}
