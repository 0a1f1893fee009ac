# corpus: benign
# An optional import of a package the image lacks, with a matplotlib fallback.
import matplotlib.pyplot as plt
import numpy as np

try:
    import seaborn as sns
except ImportError:
    sns = None


def main():
    data = np.random.default_rng(5).normal(size=200)
    fig, ax = plt.subplots()
    if sns is not None:
        sns.histplot(data, ax=ax)
    else:
        ax.hist(data, bins=20)
    fig.savefig("hist.png")
    return {"seaborn": sns is not None, "mean": round(float(data.mean()), 3)}
