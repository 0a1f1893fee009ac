# corpus: benign
# Decorators with functools.wraps, lru_cache and func.__name__.
import functools
import time


def timed(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        wrapper.calls.append((function.__name__, round(time.perf_counter() - started, 6)))
        return result

    wrapper.calls = []
    return wrapper


@functools.lru_cache(maxsize=None)
def fibonacci(n):
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)


@timed
def compute(n):
    """Fibonacci of n."""
    return fibonacci(n)


def main():
    value = compute(80)
    return {"value": value, "name": compute.__name__, "doc": compute.__doc__, "cache": fibonacci.cache_info().hits}
