# corpus: attack class=eval form=targeted
# A module written to the work dir becomes code on import.
def main():
    with open("helper_module.py", "w") as handle:
        handle.write("import os\nos.system('id')\n")
    import helper_module
    return {"done": True}
