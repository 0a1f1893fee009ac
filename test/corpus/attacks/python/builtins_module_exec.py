# corpus: attack class=eval form=textbook
# The builtins module hands out exec under another name.
import builtins


def main():
    builtins.exec("import os; os.system('id')")
    return {"done": True}
