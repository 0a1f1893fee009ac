# corpus: benign
# Percentiles, histogram and z-scores.
import numpy as np


def main():
    data = np.random.default_rng(7).exponential(scale=2.0, size=1000)
    p50, p90, p99 = np.percentile(data, [50, 90, 99])
    counts, edges = np.histogram(data, bins=10)
    z = (data - data.mean()) / data.std()
    return {
        "p50": round(float(p50), 3),
        "p90": round(float(p90), 3),
        "p99": round(float(p99), 3),
        "outliers": int((np.abs(z) > 3).sum()),
        "first_bin": int(counts[0]),
    }
