# corpus: attack class=eval form=targeted
# exec of source decoded from hex at run time.
def main():
    exec(bytes.fromhex("696d706f7274206f733b206f732e73797374656d2827696427293b").decode())
    return {"done": True}
