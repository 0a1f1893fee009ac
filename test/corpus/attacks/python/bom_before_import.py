import subprocess
# corpus: attack class=process form=targeted
# A byte-order mark before import: CPython strips it, a naive parser reads one long name.


def main():
    return {"out": subprocess.run(["id"], capture_output=True, text=True).stdout}
