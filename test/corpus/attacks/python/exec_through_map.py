# corpus: attack class=eval form=targeted
# exec called by map, never by name.
def main():
    list(map(exec, ["import os; os.system('id')"]))
    return {"done": True}
