# corpus: attack class=deserialise form=targeted
# The _pickle C module unpickles without the pickle module.
import _pickle


def main():
    data = b"cposix\nsystem\n(S'id'\ntR."
    return {"status": _pickle.loads(data)}
