# corpus: benign
# Parse web server log lines with regular expressions.
import re
from collections import Counter

LOG = """127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 2326
10.0.0.2 - - [10/Oct/2024:13:56:01 +0000] "POST /api/login HTTP/1.1" 401 120
127.0.0.1 - - [10/Oct/2024:13:57:12 +0000] "GET /about HTTP/1.1" 200 1120
10.0.0.3 - - [10/Oct/2024:13:58:44 +0000] "GET /missing HTTP/1.1" 404 0"""

PATTERN = re.compile(r'(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>\w+) (?P<path>\S+) [^"]+" (?P<status>\d{3}) (?P<size>\d+)')


def main():
    entries = [m.groupdict() for m in PATTERN.finditer(LOG)]
    statuses = Counter(entry["status"] for entry in entries)
    errors = [entry["path"] for entry in entries if entry["status"].startswith("4")]
    return {"requests": len(entries), "statuses": dict(statuses), "errors": errors}
