# corpus: benign
# A 3D surface with mpl_toolkits.
import matplotlib.pyplot as plt
import numpy as np
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401


def main():
    x, y = np.meshgrid(np.linspace(-2, 2, 40), np.linspace(-2, 2, 40))
    z = np.exp(-(x**2 + y**2))
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(x, y, z, cmap="coolwarm")
    fig.savefig("surface.png")
    return {"peak": float(z.max())}
