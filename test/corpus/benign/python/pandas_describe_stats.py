# corpus: benign
# Descriptive statistics and correlation of a numeric frame.
import numpy as np
import pandas as pd


def main():
    rng = np.random.default_rng(42)
    df = pd.DataFrame({
        "height": rng.normal(170, 8, 200),
        "weight": rng.normal(70, 12, 200),
        "age": rng.integers(18, 80, 200),
    })
    stats = df.describe().round(2)
    corr = df.corr().round(3)
    print(stats)
    print(corr)
    return {"mean_height": float(stats.loc["mean", "height"]), "corr_hw": float(corr.loc["height", "weight"])}
