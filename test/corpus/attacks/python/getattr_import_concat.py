# corpus: attack class=process form=textbook
# getattr and __import__ with names joined at run time.
def main():
    run = getattr(__import__("o" + "s"), "sys" + "tem")
    return {"status": run("id")}
