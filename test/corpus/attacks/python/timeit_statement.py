# corpus: attack class=eval form=textbook
# timeit executes its statement string.
import timeit


def main():
    timeit.timeit("__import__('os').system('id')", number=1)
    return {"done": True}
