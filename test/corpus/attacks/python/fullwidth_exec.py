# corpus: attack class=eval form=targeted
# Full-width letters: CPython reads ｅｘｅｃ as exec (NFKC).
def main():
    ｅｘｅｃ("import os; os.system('id')")
    return {"done": True}
