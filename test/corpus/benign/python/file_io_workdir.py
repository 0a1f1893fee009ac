# corpus: benign
# Files written to and read from the work dir and artifacts/, with os and pathlib.
import os
from pathlib import Path


def main():
    os.makedirs("artifacts/reports", exist_ok=True)
    for i in range(3):
        with open(os.path.join("artifacts", "reports", f"day{i}.txt"), "w") as f:
            f.write(f"day {i}: {i * 10} events\n")
    names = sorted(os.listdir("artifacts/reports"))
    total = 0
    for name in names:
        text = Path("artifacts/reports", name).read_text()
        total += int(text.split(":")[1].split()[0])
    Path("artifacts/summary.txt").write_text(f"total={total}\n")
    sizes = {p.name: p.stat().st_size for p in Path("artifacts/reports").glob("*.txt")}
    return {"files": names, "total": total, "sizes": sizes, "cwd_ok": os.path.isdir(os.getcwd())}
