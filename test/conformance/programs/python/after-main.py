import atexit
import threading
import time

# Left open at the top level, never closed: the interpreter's exit flushes it.
left_open = open("left-open.txt", "w")
left_open.write("kept")


def later():
    time.sleep(0.05)
    print("later", flush=False)


def main():
    atexit.register(lambda: print("exit"))
    threading.Thread(target=later).start()
    return 1
