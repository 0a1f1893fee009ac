# corpus: benign
# An API client with requests, handling the sandbox having no network.
import requests


def fetch_json(url, timeout=3):
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except requests.RequestException as error:
        return {"error": type(error).__name__}


def main(url="https://api.example.com/items"):
    session = requests.Session()
    session.headers.update({"User-Agent": "coderun-test"})
    prepared = requests.Request("GET", url, params={"page": 1}).prepare()
    return {"url": prepared.url, "result": fetch_json(url, timeout=1)}
