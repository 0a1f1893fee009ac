# corpus: benign
# Error handling that reports type(e).__name__ and a traceback.
import sys
import traceback


def risky(values):
    return [10 / v for v in values]


def main():
    errors = []
    for batch in ([1, 2], [3, 0], ["x"]):
        try:
            risky(batch)
        except Exception as e:
            errors.append({"type": type(e).__name__, "message": str(e), "where": traceback.format_exc().splitlines()[-1]})
            print(f"error: {e.__class__.__name__}", file=sys.stderr)
    return {"errors": errors}
