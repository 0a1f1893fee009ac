# corpus: benign
# Flatten nested JSON into dotted keys.
import json


def flatten(value, prefix=""):
    items = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            items.update(flatten(inner, f"{prefix}{key}."))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            items.update(flatten(inner, f"{prefix}{index}."))
    else:
        items[prefix[:-1]] = value
    return items


def main(document='{"a": {"b": 1, "c": [2, 3]}, "d": "x"}'):
    return flatten(json.loads(document))
