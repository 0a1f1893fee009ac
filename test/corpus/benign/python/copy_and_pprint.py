# corpus: benign
# Deep copies, pprint and reprlib.
import copy
import pprint
import reprlib


def main():
    config = {"layers": [{"units": 64, "act": "relu"}, {"units": 10, "act": "softmax"}], "lr": 0.001}
    tuned = copy.deepcopy(config)
    tuned["layers"][0]["units"] = 128
    text = pprint.pformat(tuned, width=40)
    short = reprlib.repr(list(range(100)))
    return {"original_units": config["layers"][0]["units"], "tuned_units": tuned["layers"][0]["units"], "pretty_lines": len(text.splitlines()), "short": short}
