# corpus: benign
# DataFrame.query with a local variable and eval for a new column.
import pandas as pd


def main(threshold=50):
    df = pd.DataFrame({"name": ["a", "b", "c", "d"], "score": [35, 72, 58, 91], "bonus": [5, 3, 8, 1]})
    df = df.eval("total = score + bonus")
    passed = df.query("total > @threshold and name != 'd'")
    print(passed)
    return {"passed": passed["name"].tolist()}
