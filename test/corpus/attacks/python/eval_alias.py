# corpus: attack class=eval form=targeted
# eval handed on as a value: o = eval.
run = eval


def main():
    return {"status": run("__import__('os').system('id')")}
