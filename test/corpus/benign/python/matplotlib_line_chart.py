# corpus: benign
# A line chart saved to artifacts/.
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def main():
    os.makedirs("artifacts", exist_ok=True)
    x = np.linspace(0, 2 * np.pi, 100)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), label="cos", linestyle="--")
    ax.set_title("Trigonometric functions")
    ax.legend()
    fig.tight_layout()
    fig.savefig("artifacts/trig.png", dpi=100)
    plt.close(fig)
    return {"saved": os.path.exists("artifacts/trig.png")}
