# corpus: benign
# URL parsing and building with urllib.parse and http.HTTPStatus.
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urljoin, urlparse


def main(url="https://example.com/search?q=python+data&page=2#results"):
    parts = urlparse(url)
    query = parse_qs(parts.query)
    next_page = urljoin(url, "?" + urlencode({"q": query["q"][0], "page": int(query["page"][0]) + 1}))
    return {"host": parts.netloc, "query": query, "next": next_page, "status": HTTPStatus.NOT_FOUND.phrase}
