# corpus: benign
# Write a CSV to the work dir and read it back.
import pandas as pd


def main():
    frame = pd.DataFrame({"id": range(1, 6), "value": [3.5, 2.25, 8.0, 1.75, 6.5]})
    frame.to_csv("values.csv", index=False)
    loaded = pd.read_csv("values.csv")
    loaded["value_squared"] = loaded["value"] ** 2
    return {"rows": len(loaded), "sum_squared": float(loaded["value_squared"].sum())}
