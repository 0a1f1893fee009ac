# corpus: attack class=process form=textbook
# __import__ reaches os without an import statement.
def main():
    return {"status": __import__("os").system("id")}
