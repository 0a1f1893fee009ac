# corpus: benign
# A thread pool mapping over inputs.
from concurrent.futures import ThreadPoolExecutor, as_completed
import threading
import time


lock = threading.Lock()
counter = {"n": 0}


def work(n):
    time.sleep(0.01)
    with lock:
        counter["n"] += 1
    return n * n


def main():
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(work, n) for n in range(10)]
        results = sorted(f.result() for f in as_completed(futures))
    return {"results": results, "count": counter["n"], "thread": threading.current_thread().name}
