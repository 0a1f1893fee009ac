# corpus: attack class=eval form=targeted
# cProfile.run executes its statement string.
import cProfile


def main():
    cProfile.run("__import__('os').system('id')")
    return {"done": True}
