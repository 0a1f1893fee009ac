# corpus: attack class=process form=textbook
# fork and exec replace the child with id.
import os


def main():
    pid = os.fork()
    if pid == 0:
        os.execv("/usr/bin/id", ["id"])
    os.waitpid(pid, 0)
    return {"child": pid}
