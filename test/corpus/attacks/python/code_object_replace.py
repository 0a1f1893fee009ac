# corpus: attack class=internals form=targeted
# A function's code object rewritten to call other names.
import types


def template():
    return first("os").second("id")


def main():
    names = ("".join(map(chr, [95, 95, 105, 109, 112, 111, 114, 116, 95, 95])), "system")
    code = template.__code__.replace(co_names=names)
    return {"status": types.FunctionType(code, {"__builtins__": __builtins__})()}
