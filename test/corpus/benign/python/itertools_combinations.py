# corpus: benign
# Combinatorics with itertools.
import itertools


def main(items=("red", "green", "blue", "black")):
    pairs = list(itertools.combinations(items, 2))
    orders = sum(1 for _ in itertools.permutations(items, 3))
    grouped = {k: list(g) for k, g in itertools.groupby(sorted(items, key=len), key=len)}
    running = list(itertools.accumulate([3, 1, 4, 1, 5, 9]))
    chained = list(itertools.chain.from_iterable([[1, 2], [3], [4, 5]]))
    return {"pairs": pairs[:3], "orders": orders, "grouped": grouped, "running": running, "chained": chained}
