# corpus: benign
# total_ordering, __hash__ and sets of objects.
from functools import total_ordering


@total_ordering
class Version:
    def __init__(self, text):
        self.parts = tuple(int(p) for p in text.split("."))

    def __eq__(self, other):
        return self.parts == other.parts

    def __lt__(self, other):
        return self.parts < other.parts

    def __hash__(self):
        return hash(self.parts)

    def __str__(self):
        return ".".join(map(str, self.parts))


def main():
    versions = [Version(v) for v in ["1.10.0", "1.2.3", "1.2.10", "1.2.3"]]
    return {"sorted": [str(v) for v in sorted(set(versions))], "newest": str(max(versions))}
