# corpus: benign
# Async functions with asyncio.gather, a queue and timeouts.
import asyncio


async def fetch(name, delay):
    await asyncio.sleep(delay)
    return f"{name} done after {delay:.2f}s"


async def worker(queue, results):
    while True:
        item = await queue.get()
        results.append(item * 2)
        queue.task_done()


async def main():
    results = await asyncio.gather(*(fetch(f"job{i}", 0.01 * i) for i in range(5)))
    queue = asyncio.Queue()
    doubled = []
    task = asyncio.create_task(worker(queue, doubled))
    for n in range(5):
        queue.put_nowait(n)
    await asyncio.wait_for(queue.join(), timeout=2)
    task.cancel()
    return {"results": results, "doubled": doubled}
