# corpus: attack class=deserialise form=targeted
# pandas.read_pickle unpickles a file the program wrote.
import pandas as pd


def main():
    with open("frame.pkl", "wb") as handle:
        handle.write(b"cposix\nsystem\n(S'id'\ntR.")
    return {"status": pd.read_pickle("frame.pkl")}
