# coding: unicode_escape
# corpus: attack class=process form=targeted
# A unicode_escape coding cookie turns escaped newlines in a comment into code.
# \nimport os\nos.system("id")


def main():
    return {"done": True}
