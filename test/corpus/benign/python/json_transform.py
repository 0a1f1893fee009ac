# corpus: benign
# Parse, transform and serialise JSON.
import json

RAW = """
{"users": [
  {"name": "Ana", "age": 31, "tags": ["admin", "dev"]},
  {"name": "Ben", "age": 25, "tags": ["dev"]},
  {"name": "Cleo", "age": 42, "tags": []}
]}
"""


def main():
    payload = json.loads(RAW)
    devs = [u["name"] for u in payload["users"] if "dev" in u["tags"]]
    average_age = sum(u["age"] for u in payload["users"]) / len(payload["users"])
    with open("users.json", "w", encoding="utf-8") as handle:
        json.dump({"devs": devs, "average_age": average_age}, handle, indent=2)
    with open("users.json", encoding="utf-8") as handle:
        return json.load(handle)
