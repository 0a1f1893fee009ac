# corpus: benign
# Ordinary introspection: inspect.signature, type checks, gc, timeit with a callable, CPU count and host name.
import gc
import inspect
import multiprocessing
import socket
import timeit


def scale(values, factor=2.0, *, clip=None):
    """Multiply values by a factor."""
    out = [v * factor for v in values]
    return [min(v, clip) for v in out] if clip is not None else out


def main():
    signature = inspect.signature(scale)
    params = {name: str(p.default) for name, p in signature.parameters.items()}
    elapsed = timeit.timeit(lambda: scale(range(100)), number=50)
    gc.collect()
    kinds = [type(v).__name__ for v in (1, "a", 2.5, None, [1])]
    return {
        "params": params,
        "doc": inspect.getdoc(scale),
        "is_function": inspect.isfunction(scale),
        "is_class": isinstance(int, type),
        "kinds": kinds,
        "fast": elapsed < 10,
        "cpus": multiprocessing.cpu_count() > 0,
        "host": bool(socket.gethostname()),
    }
