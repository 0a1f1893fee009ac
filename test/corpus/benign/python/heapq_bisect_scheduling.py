# corpus: benign
# Scheduling with heapq and bisect.
import bisect
import heapq


def main():
    tasks = [(3, "write report"), (1, "fix bug"), (2, "review"), (5, "plan")]
    heapq.heapify(tasks)
    order = [heapq.heappop(tasks)[1] for _ in range(len(tasks))]
    grades = [60, 70, 80, 90]
    letters = "FDCBA"
    scores = [55, 72, 88, 95, 70]
    return {"order": order, "letters": [letters[bisect.bisect(grades, s)] for s in scores], "top2": heapq.nlargest(2, scores)}
