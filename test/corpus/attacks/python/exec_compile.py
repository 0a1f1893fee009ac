# corpus: attack class=eval form=textbook
# compile builds a code object for exec.
def main():
    code = compile("import os\nos.system('id')", "<payload>", "exec")
    exec(code)
    return {"done": True}
