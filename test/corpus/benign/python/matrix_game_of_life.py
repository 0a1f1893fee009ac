# corpus: benign
# Conway's game of life on a numpy grid.
import numpy as np


def step(grid):
    neighbours = sum(np.roll(np.roll(grid, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((neighbours == 3) | ((grid == 1) & (neighbours == 2))).astype(int)


def main(generations=4):
    grid = np.zeros((8, 8), dtype=int)
    grid[1, 2] = grid[2, 3] = grid[3, 1] = grid[3, 2] = grid[3, 3] = 1
    for _ in range(generations):
        grid = step(grid)
    return {"alive": int(grid.sum()), "rows": ["".join("#" if c else "." for c in row) for row in grid]}
