# corpus: benign
# Classic algorithms: quicksort, binary search, memoised paths.
from functools import cache


def quicksort(items):
    if len(items) <= 1:
        return items
    pivot, *rest = items
    return quicksort([x for x in rest if x < pivot]) + [pivot] + quicksort([x for x in rest if x >= pivot])


def binary_search(items, target):
    low, high = 0, len(items) - 1
    while low <= high:
        mid = (low + high) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            low = mid + 1
        else:
            high = mid - 1
    return -1


@cache
def paths(rows, cols):
    if rows == 1 or cols == 1:
        return 1
    return paths(rows - 1, cols) + paths(rows, cols - 1)


def main():
    data = quicksort([5, 3, 9, 1, 7, 2, 8])
    return {"sorted": data, "index_of_7": binary_search(data, 7), "grid_paths": paths(10, 10)}
