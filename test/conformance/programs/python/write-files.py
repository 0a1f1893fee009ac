def main(files):
    for name, text in files.items():
        with open(name, "w") as out:
            out.write(text)
