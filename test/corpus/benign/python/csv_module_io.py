# corpus: benign
# The csv module with DictWriter, DictReader and io.StringIO.
import csv
import io


def main():
    rows = [{"sku": "A1", "qty": 3, "price": 2.5}, {"sku": "B2", "qty": 1, "price": 10.0}]
    with open("orders.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["sku", "qty", "price"])
        writer.writeheader()
        writer.writerows(rows)
    with open("orders.csv", newline="") as handle:
        total = sum(int(r["qty"]) * float(r["price"]) for r in csv.DictReader(handle))
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["total", total])
    return {"total": total, "line": buffer.getvalue().strip()}
