import os
import stat


def main():
    try:
        info = os.lstat("artifacts")
    except FileNotFoundError:
        return {"type": "missing"}
    if stat.S_ISLNK(info.st_mode):
        return {"type": "link", "target": os.readlink("artifacts")}
    if stat.S_ISDIR(info.st_mode):
        return {"type": "dir", "mode": stat.S_IMODE(info.st_mode)}
    with open("artifacts") as text:
        return {"type": "file", "content": text.read()}
