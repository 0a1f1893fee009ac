# corpus: attack class=eval form=targeted
# eval captured as a lambda default.
run = lambda source, evaluate=eval: evaluate(source)


def main():
    return {"status": run("__import__('os').system('id')")}
