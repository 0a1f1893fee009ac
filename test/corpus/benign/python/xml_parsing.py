# corpus: benign
# Parsing XML with ElementTree.
import xml.etree.ElementTree as ET

DOCUMENT = """<catalog>
  <book id="1"><title>Dune</title><price>9.99</price></book>
  <book id="2"><title>Emma</title><price>4.50</price></book>
</catalog>"""


def main():
    root = ET.fromstring(DOCUMENT)
    books = [{"id": b.get("id"), "title": b.findtext("title"), "price": float(b.findtext("price"))} for b in root.iter("book")]
    new = ET.SubElement(root, "book", id="3")
    ET.SubElement(new, "title").text = "Ulysses"
    return {"books": books, "xml_len": len(ET.tostring(root))}
