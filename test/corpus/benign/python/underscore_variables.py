# corpus: benign
# The _ variable, throwaway loops and module-level private helpers.
_CACHE = {}


def _normalise(word):
    return word.strip().lower()


def main(words=("Apple ", "banana", " APPLE", "cherry")):
    for _ in range(2):
        pass
    first, *_, last = words
    counts = {}
    for word in map(_normalise, words):
        counts[word] = counts.get(word, 0) + 1
    _CACHE["last"] = last
    return {"counts": counts, "first": first.strip(), "cached": _CACHE["last"].strip()}
