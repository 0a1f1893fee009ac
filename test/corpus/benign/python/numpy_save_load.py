# corpus: benign
# np.save and np.load of a plain array in the work dir.
import numpy as np


def main():
    grid = np.linspace(0, 1, 11).reshape(11, 1) * np.arange(3)
    np.save("grid.npy", grid)
    loaded = np.load("grid.npy")
    np.savetxt("grid.txt", loaded, fmt="%.2f")
    return {"shape": list(loaded.shape), "total": float(loaded.sum())}
