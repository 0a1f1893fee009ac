# corpus: attack class=process form=targeted
# A module handed on as a value, then its __dict__: m = random; m.__dict__['_os'].
import random

m = random


def main():
    return {"status": m.__dict__["_o" + "s"].system("id")}
