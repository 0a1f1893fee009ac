# corpus: benign
# Comparing texts with difflib.
import difflib


def main(old="the quick brown fox", new="the quick red fox jumps"):
    ratio = difflib.SequenceMatcher(None, old, new).ratio()
    diff = list(difflib.unified_diff(old.split(), new.split(), lineterm=""))
    close = difflib.get_close_matches("appel", ["apple", "ape", "peach", "apply"])
    return {"ratio": round(ratio, 3), "diff": diff, "close": close}
