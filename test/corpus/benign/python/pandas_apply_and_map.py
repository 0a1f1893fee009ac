# corpus: benign
# apply, map and string methods on a frame.
import pandas as pd


def classify(score):
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    return "C"


def main():
    df = pd.DataFrame({"student": ["  alice", "BOB ", "Carol"], "score": [93, 78, 61]})
    df["student"] = df["student"].str.strip().str.title()
    df["grade"] = df["score"].apply(classify)
    df["passed"] = df["grade"].map({"A": True, "B": True, "C": False})
    for column in ["score"]:
        print(column, getattr(df[column], "mean")())
    return df.to_dict(orient="records")
