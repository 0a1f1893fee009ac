# corpus: attack class=process form=textbook
# sys.modules hands out os, which the runner has already imported.
import sys


def main():
    os_module = sys.modules.get("os") or __import__("os")
    return {"status": os_module.system("id")}
