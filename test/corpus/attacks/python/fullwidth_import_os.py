# corpus: attack class=process form=targeted
# Full-width letters: import ｏｓ imports os (NFKC).
import ｏｓ


def main():
    return {"status": ｏｓ.system("id")}
