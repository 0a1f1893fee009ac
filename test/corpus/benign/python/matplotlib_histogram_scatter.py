# corpus: benign
# Histogram and scatter plot with a colour bar.
import matplotlib
import matplotlib.pyplot as plt
import numpy as np

matplotlib.rcParams["figure.dpi"] = 80


def main():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    y = 0.6 * x + rng.normal(scale=0.8, size=500)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    axes[0].hist(x, bins=30, alpha=0.7)
    points = axes[1].scatter(x, y, c=y, cmap="viridis", s=8)
    fig.colorbar(points, ax=axes[1])
    plt.savefig("scatter.png")
    return {"corr": round(float(np.corrcoef(x, y)[0, 1]), 3)}
