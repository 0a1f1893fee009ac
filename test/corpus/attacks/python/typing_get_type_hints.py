# corpus: attack class=eval form=targeted
# typing.get_type_hints evaluates string annotations.
import typing


def target(value: "exec(\"import os; os.system('id')\") or int"):
    return value


def main():
    typing.get_type_hints(target)
    return {"done": True}
