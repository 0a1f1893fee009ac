def main():
    raise RuntimeError("boom")
