# corpus: benign
# A frozen dataclass that derives a field in __post_init__.
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Rectangle:
    width: float
    height: float
    area: float = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "area", self.width * self.height)


def main():
    r = Rectangle(3, 4)
    wider = replace(r, width=6)
    return {"area": r.area, "wider": wider.area, "name": type(r).__name__}
