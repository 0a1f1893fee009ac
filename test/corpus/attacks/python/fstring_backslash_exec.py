# corpus: attack class=eval form=targeted
# Python 3.11 evaluates f"\{...}" as a replacement field, which lezer reads as text.
def main():
    text = f"\{exec('import os; os.system(chr(105) + chr(100))')}"
    return {"text": text}
