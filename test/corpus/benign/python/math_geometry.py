# corpus: benign
# math functions for geometry and number theory.
import math


def main():
    primes = [n for n in range(2, 60) if all(n % d for d in range(2, int(math.isqrt(n)) + 1))]
    hyp = math.hypot(3, 4)
    angle = math.degrees(math.atan2(1, 1))
    return {
        "primes": primes,
        "hyp": hyp,
        "angle": angle,
        "gcd": math.gcd(84, 36),
        "comb": math.comb(10, 3),
        "close": math.isclose(0.1 + 0.2, 0.3),
        "log": round(math.log(1000, 10), 6),
    }
