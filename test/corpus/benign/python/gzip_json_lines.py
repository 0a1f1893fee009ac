# corpus: benign
# JSON lines compressed with gzip.
import gzip
import json


def main():
    records = [{"id": i, "square": i * i} for i in range(10)]
    with gzip.open("records.jsonl.gz", "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    with gzip.open("records.jsonl.gz", "rt", encoding="utf-8") as handle:
        loaded = [json.loads(line) for line in handle]
    return {"count": len(loaded), "last": loaded[-1]}
