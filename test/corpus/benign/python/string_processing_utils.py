# corpus: benign
# String utilities: palindromes, anagrams, caesar cipher, slugify.
import string
import unicodedata
from collections import Counter


def slugify(text):
    normal = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in normal.lower()).split())


def caesar(text, shift):
    letters = string.ascii_lowercase
    table = str.maketrans(letters, letters[shift:] + letters[:shift])
    return text.lower().translate(table)


def main():
    words = ["listen", "silent", "enlist", "google", "gooegl"]
    anagrams = {}
    for w in words:
        anagrams.setdefault("".join(sorted(w)), []).append(w)
    return {
        "slug": slugify("Crème Brûlée: A Recipe!"),
        "palindrome": "racecar" == "racecar"[::-1],
        "anagrams": [g for g in anagrams.values() if len(g) > 1],
        "caesar": caesar("hello", 3),
        "letters": Counter("mississippi").most_common(2),
    }
