# corpus: benign
# A pandas report rendered to HTML and Markdown-like text in artifacts/.
import os

import pandas as pd


def main():
    df = pd.DataFrame({"team": ["red", "blue", "green"], "wins": [7, 9, 4], "losses": [3, 1, 6]})
    df["ratio"] = (df["wins"] / (df["wins"] + df["losses"])).round(2)
    os.makedirs("artifacts", exist_ok=True)
    with open("artifacts/standings.html", "w") as handle:
        handle.write(df.to_html(index=False))
    lines = [" | ".join(df.columns)] + [" | ".join(str(v) for v in row) for row in df.itertuples(index=False)]
    with open("artifacts/standings.txt", "w") as handle:
        handle.write("\n".join(lines))
    return {"leader": df.loc[df["ratio"].idxmax(), "team"]}
