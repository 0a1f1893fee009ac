# corpus: attack class=process form=targeted
# uuid's private helper runs a program and returns its output.
import uuid


def main():
    out = uuid._get_command_stdout("id")
    return {"out": out.read().decode() if out else None}
