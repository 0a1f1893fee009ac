# corpus: benign
# An in-memory SQLite database with pandas read_sql.
import sqlite3

import pandas as pd


def main():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE sales (region TEXT, amount REAL)")
    connection.executemany("INSERT INTO sales VALUES (?, ?)", [("n", 10.5), ("s", 7.25), ("n", 3.0)])
    frame = pd.read_sql("SELECT region, SUM(amount) AS total FROM sales GROUP BY region ORDER BY region", connection)
    connection.close()
    return frame.to_dict(orient="records")
