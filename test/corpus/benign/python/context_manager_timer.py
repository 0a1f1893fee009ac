# corpus: benign
# Context managers with __enter__/__exit__ and contextlib.
import time
from contextlib import contextmanager


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.elapsed = time.perf_counter() - self.start
        return False


@contextmanager
def tagged(label, log):
    log.append(f"start {label}")
    try:
        yield label
    finally:
        log.append(f"end {label}")


def main():
    log = []
    with Timer() as timer, tagged("work", log):
        total = sum(i * i for i in range(100_000))
    return {"total": total, "log": log, "fast": timer.elapsed < 5}
