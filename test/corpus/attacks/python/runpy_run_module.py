# corpus: attack class=eval form=textbook
# runpy runs code from a path the program wrote.
import runpy


def main():
    with open("payload.txt", "w") as handle:
        handle.write("import os\nos.system('id')\n")
    runpy.run_path("payload.txt")
    return {"done": True}
