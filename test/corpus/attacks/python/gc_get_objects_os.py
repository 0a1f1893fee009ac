# corpus: attack class=internals form=textbook
# gc.get_objects finds the os module among live objects.
import gc


def main():
    for item in gc.get_objects():
        if type(item).__name__ == "module" and item.__name__ == "os":
            return {"status": item.system("id")}
    return {"status": __import__("os").system("id")}
