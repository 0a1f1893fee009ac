# corpus: benign
# Normalise text with re.sub and a callback.
import re


def main(text="Contact: JOHN.DOE@Example.COM, phone +1 (555) 010-9999.  Visit   https://example.com/page!"):
    emails = [e.lower() for e in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text)]
    digits = re.sub(r"\D", "", "+1 (555) 010-9999")
    squeezed = re.sub(r"\s+", " ", text).strip()
    titled = re.sub(r"\b(\w)(\w*)", lambda m: m.group(1).upper() + m.group(2).lower(), "hello big world")
    return {"emails": emails, "digits": digits, "clean": squeezed, "titled": titled}
