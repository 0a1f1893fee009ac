# corpus: attack class=eval form=textbook
# breakpoint() starts pdb, which runs the statements it reads.
import io
import sys


def main():
    sys.stdin = io.StringIO("import os; os.system('id')\ncontinue\n")
    breakpoint()
    return {"done": True}
