# corpus: benign
# Parsing a Python literal safely with ast.literal_eval.
import ast


def main(text="{'a': [1, 2, 3], 'b': (4.5, None)}"):
    value = ast.literal_eval(text)
    return {"keys": sorted(value), "total": sum(value["a"])}
