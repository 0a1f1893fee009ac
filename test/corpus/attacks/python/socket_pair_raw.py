# corpus: attack class=socket form=textbook
# Raw sockets: a Unix socket pair, which NetworkPolicy cannot see.
import socket


def main():
    left, right = socket.socketpair()
    left.sendall(b"raw socket open")
    return {"received": right.recv(64).decode()}
