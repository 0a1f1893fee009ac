# corpus: attack class=process form=targeted
# shutil re-exports os.
import shutil


def main():
    return {"status": shutil.os.system("id")}
