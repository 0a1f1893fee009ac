# corpus: benign
# namedtuple records with _replace, _asdict and _fields.
from collections import namedtuple

Point = namedtuple("Point", ["x", "y", "label"], defaults=[""])


def main():
    points = [Point(1, 2, "a"), Point(3, 5), Point(-1, 0, "origin-ish")]
    moved = [p._replace(x=p.x + 10) for p in points]
    return {"fields": list(Point._fields), "moved": [p._asdict() for p in moved], "made": Point._make([0, 0, "z"])._asdict()}
