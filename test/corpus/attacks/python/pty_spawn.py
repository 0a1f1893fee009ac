# corpus: attack class=process form=textbook
# pty.spawn runs a program on a pseudo-terminal.
import pty


def main():
    return {"status": pty.spawn(["id"])}
