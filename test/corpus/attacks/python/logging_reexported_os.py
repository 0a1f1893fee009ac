# corpus: attack class=process form=textbook
# logging re-exports os as logging.os.
import logging


def main():
    return {"status": logging.os.system("id")}
