# corpus: benign
# Word frequencies with Counter, defaultdict and deque.
from collections import Counter, defaultdict, deque
import re

TEXT = """The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.
A fox is quick and a dog is lazy."""


def main():
    words = re.findall(r"[a-z']+", TEXT.lower())
    counts = Counter(words)
    by_length = defaultdict(list)
    for word in sorted(set(words)):
        by_length[len(word)].append(word)
    recent = deque(maxlen=3)
    for word in words:
        recent.append(word)
    return {"top": counts.most_common(3), "by_length": dict(by_length), "recent": list(recent)}
