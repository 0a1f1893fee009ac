# corpus: benign
# pandas plotting through matplotlib, to artifacts/.
import os

import pandas as pd


def main():
    os.makedirs("artifacts", exist_ok=True)
    frame = pd.DataFrame({"year": [2019, 2020, 2021, 2022, 2023], "users": [120, 180, 260, 310, 400]})
    ax = frame.plot(x="year", y="users", kind="line", marker="o", title="Users per year", backend="matplotlib")
    ax.figure.savefig("artifacts/users.png")
    return {"growth": int(frame["users"].iloc[-1] - frame["users"].iloc[0])}
