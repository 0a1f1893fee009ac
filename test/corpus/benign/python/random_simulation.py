# corpus: benign
# A seeded Monte Carlo simulation with random.
import random


def main(trials=20000):
    rng = random.Random(123)
    inside = sum(1 for _ in range(trials) if rng.random() ** 2 + rng.random() ** 2 <= 1)
    dice = [rng.randint(1, 6) + rng.randint(1, 6) for _ in range(1000)]
    deck = list(range(52))
    rng.shuffle(deck)
    return {"pi": round(4 * inside / trials, 2), "sevens": dice.count(7), "hand": sorted(deck[:5]), "choice": rng.choice(["a", "b", "c"])}
