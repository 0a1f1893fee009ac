# corpus: attack class=native form=targeted
# SQLite loads a native library as an extension (the load error names the symbol it looked up, proving dlopen ran).
import sqlite3


def main():
    connection = sqlite3.connect(":memory:")
    connection.enable_load_extension(True)
    try:
        connection.load_extension("/lib/x86_64-linux-gnu/libc.so.6")
    except sqlite3.OperationalError as error:
        return {"loaded": str(error)}
    return {"loaded": True}
