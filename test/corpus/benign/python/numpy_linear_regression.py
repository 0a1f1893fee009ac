# corpus: benign
# Least-squares fit with numpy.
import numpy as np


def main():
    x = np.arange(20, dtype=float)
    noise = np.random.default_rng(0).normal(0, 0.5, size=20)
    y = 3.2 * x + 1.5 + noise
    design = np.vstack([x, np.ones_like(x)]).T
    (slope, intercept), residuals, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    print(f"slope={slope:.3f} intercept={intercept:.3f}")
    return {"slope": round(float(slope), 3), "intercept": round(float(intercept), 3)}
