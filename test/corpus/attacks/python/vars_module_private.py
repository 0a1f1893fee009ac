# corpus: attack class=process form=targeted
# vars(module) is the module namespace, private re-exports included.
import tempfile


def main():
    return {"status": vars(tempfile)["_os"].system("id")}
