# corpus: attack class=eval form=targeted
# singledispatch evaluates a string annotation with get_type_hints.
from functools import singledispatch


@singledispatch
def handle(value):
    return value


@handle.register
def _(value: "__import__('os').system('id') or int"):
    return value


def main():
    return {"done": True}
