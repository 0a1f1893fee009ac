# corpus: benign
# sys.argv, sys.stdout and the __main__ guard.
import sys


def summarise(numbers):
    return {"count": len(numbers), "max": max(numbers), "python": sys.version_info[:2]}


def main(numbers=None):
    numbers = numbers or [3, 8, 1]
    result = summarise(numbers)
    sys.stdout.write(f"{result}\n")
    return result


if __name__ == "__main__":
    main()
