# corpus: benign
# Dataclasses with __post_init__, ordering and asdict.
from dataclasses import asdict, dataclass, field


@dataclass(order=True)
class Item:
    sort_index: float = field(init=False, repr=False)
    name: str
    price: float
    quantity: int = 0
    tags: list = field(default_factory=list)

    def __post_init__(self):
        if self.price < 0:
            raise ValueError("price must be positive")
        self.sort_index = self.price * self.quantity

    @property
    def value(self):
        return round(self.price * self.quantity, 2)


def main():
    items = [Item("pen", 1.5, 40), Item("book", 12.0, 3, ["paper"]), Item("lamp", 30.0, 1)]
    ranked = sorted(items, reverse=True)
    return {"ranked": [asdict(i) for i in ranked], "total": sum(i.value for i in items)}
