# corpus: benign
# Type hints, TypedDict, Protocol and string forward references.
from __future__ import annotations

from typing import Generic, Optional, Protocol, TypedDict, TypeVar

T = TypeVar("T")


class Row(TypedDict):
    name: str
    score: int


class Comparable(Protocol):
    def __lt__(self, other: "Comparable") -> bool: ...


class Node(Generic[T]):
    def __init__(self, value: T, next: Optional["Node[T]"] = None) -> None:
        self.value = value
        self.next = next

    def to_list(self) -> list[T]:
        node: Optional[Node[T]] = self
        out: list[T] = []
        while node is not None:
            out.append(node.value)
            node = node.next
        return out


def best(rows: list[Row]) -> Row:
    return max(rows, key=lambda r: r["score"])


def main() -> dict:
    chain = Node(1, Node(2, Node(3)))
    return {"chain": chain.to_list(), "best": best([{"name": "a", "score": 3}, {"name": "b", "score": 9}])}
