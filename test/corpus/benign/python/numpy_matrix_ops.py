# corpus: benign
# Matrix inverse, eigenvalues and broadcasting.
import numpy as np


def main():
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    inverse = np.linalg.inv(a)
    eigenvalues, _ = np.linalg.eig(a)
    scaled = a * np.array([1, 10])
    identity = a @ inverse
    return {
        "eigenvalues": sorted(np.round(eigenvalues, 4).tolist()),
        "is_identity": bool(np.allclose(identity, np.eye(2))),
        "scaled": scaled.tolist(),
    }
