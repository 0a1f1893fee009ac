# corpus: attack class=eval form=textbook
# eval runs a source string.
def main():
    return {"status": eval("__import__('os').system('id')")}
