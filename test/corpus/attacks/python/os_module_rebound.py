# corpus: attack class=process form=targeted
# The os module bound to an innocent name.
import os as paths

tools = paths


def main():
    return {"status": tools.system("id")}
