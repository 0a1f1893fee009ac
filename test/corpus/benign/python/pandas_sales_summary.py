# corpus: benign
# Sales summary by region with groupby and a CSV artifact.
import os

import pandas as pd


def main():
    data = {
        "region": ["North", "South", "East", "West", "North", "East"],
        "product": ["A", "B", "A", "C", "B", "C"],
        "revenue": [1200.5, 850.0, 430.25, 990.0, 310.75, 1200.0],
    }
    df = pd.DataFrame(data)
    summary = df.groupby("region", as_index=False)["revenue"].sum().sort_values("revenue", ascending=False)
    os.makedirs("artifacts", exist_ok=True)
    summary.to_csv(os.path.join("artifacts", "revenue_by_region.csv"), index=False)
    print(summary.to_string(index=False))
    return {"top_region": summary.iloc[0]["region"], "total": float(df["revenue"].sum())}
