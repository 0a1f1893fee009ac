# corpus: benign
# Bar and pie charts from a pandas frame.
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd


def main():
    out = Path("artifacts")
    out.mkdir(exist_ok=True)
    df = pd.DataFrame({"fruit": ["apple", "banana", "cherry"], "count": [23, 17, 35]})
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.bar(df["fruit"], df["count"], color=["tab:red", "tab:olive", "tab:purple"])
    right.pie(df["count"], labels=df["fruit"], autopct="%1.0f%%")
    fig.suptitle("Fruit counts")
    fig.savefig(out / "fruit.png")
    plt.close("all")
    return {"files": sorted(p.name for p in out.iterdir())}
