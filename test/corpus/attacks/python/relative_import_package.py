# corpus: attack class=process form=targeted
# With __package__ set, `from . import system` imports from os.
__package__ = "os"
from . import system


def main():
    return {"status": system("id")}
