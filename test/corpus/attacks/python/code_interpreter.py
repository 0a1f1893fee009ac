# corpus: attack class=eval form=textbook
# code.InteractiveInterpreter runs source.
import code


def main():
    code.InteractiveInterpreter().runsource("import os; os.system('id')")
    return {"done": True}
