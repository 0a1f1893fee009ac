# corpus: attack class=process form=targeted
# pip's internal subprocess helper, from the image's pip.
from pip._internal.utils.subprocess import call_subprocess


def main():
    return {"out": call_subprocess(["id"], command_desc="id", show_stdout=True)}
