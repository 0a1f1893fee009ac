# corpus: attack class=eval form=textbook
# exec runs a source string.
def main():
    scope = {}
    exec("import subprocess\nout = subprocess.check_output(['id']).decode()", scope)
    return {"out": scope["out"]}
