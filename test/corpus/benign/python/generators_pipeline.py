# corpus: benign
# A generator pipeline with yield from and send.
def read_numbers(limit):
    yield from range(limit)


def squares(numbers):
    for n in numbers:
        yield n * n


def running_average():
    total = 0.0
    count = 0
    average = None
    while True:
        value = yield average
        total += value
        count += 1
        average = total / count


def main():
    pipeline = squares(n for n in read_numbers(10) if n % 2 == 0)
    averager = running_average()
    next(averager)
    averages = [averager.send(v) for v in pipeline]
    return {"averages": averages}
