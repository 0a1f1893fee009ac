# corpus: attack class=eval form=targeted
# (exec)(...) is a call a name-based check misses.
def main():
    (exec)("import os; os.system('id')")
    return {"done": True}
