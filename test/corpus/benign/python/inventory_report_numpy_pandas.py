# corpus: benign
# An end-to-end report: numpy data, pandas aggregation, chart and JSON artifacts.
import json
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def main(seed=3):
    rng = np.random.default_rng(seed)
    stores = [f"store_{i}" for i in range(1, 6)]
    frame = pd.DataFrame({
        "store": rng.choice(stores, 300),
        "units": rng.integers(1, 20, 300),
        "price": rng.uniform(2, 50, 300).round(2),
    })
    frame["revenue"] = frame["units"] * frame["price"]
    report = frame.groupby("store").agg(units=("units", "sum"), revenue=("revenue", "sum")).round(2)
    os.makedirs("artifacts", exist_ok=True)
    report["revenue"].plot(kind="barh", title="Revenue by store")
    plt.tight_layout()
    plt.savefig("artifacts/revenue.png")
    with open("artifacts/report.json", "w") as handle:
        json.dump(report.reset_index().to_dict(orient="records"), handle, indent=2)
    return {"best": report["revenue"].idxmax(), "stores": len(report)}
