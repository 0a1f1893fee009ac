# corpus: attack class=process form=textbook
# multiprocessing starts a process that runs id.
import multiprocessing
import os


def work():
    os.system("id")


def main():
    child = multiprocessing.Process(target=work)
    child.start()
    child.join()
    return {"exit": child.exitcode}
