# corpus: benign
# Cleaning missing values and type conversion.
import numpy as np
import pandas as pd


def main():
    df = pd.DataFrame({
        "city": ["Paris", None, "Berlin", "Rome", "Madrid"],
        "population": ["2.1", "3.6", None, "2.8", "3.3"],
        "area": [105.4, np.nan, 891.8, 1285.0, 604.3],
    })
    df["city"] = df["city"].fillna("Unknown")
    df["population"] = pd.to_numeric(df["population"], errors="coerce")
    df["area"] = df["area"].fillna(df["area"].median())
    df["density"] = (df["population"] * 1_000_000 / df["area"]).round(1)
    print(df.isna().sum())
    return df.fillna(0).to_dict(orient="list")
