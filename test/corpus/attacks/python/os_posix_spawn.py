# corpus: attack class=process form=targeted
# os.posix_spawn starts a program.
import os


def main():
    pid = os.posix_spawn("/usr/bin/id", ["id"], os.environ)
    return {"status": os.waitpid(pid, 0)[1]}
