# corpus: attack class=socket form=targeted
# A Unix socket created from the _socket C module.
import _socket


def main():
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    return {"fd": sock.fileno()}
