# corpus: benign
# Pivot table and merge of two frames.
import pandas as pd

orders = pd.DataFrame({
    "order_id": [1, 2, 3, 4, 5],
    "customer_id": [10, 11, 10, 12, 11],
    "month": ["Jan", "Jan", "Feb", "Feb", "Mar"],
    "amount": [250, 120, 80, 310, 95],
})
customers = pd.DataFrame({"customer_id": [10, 11, 12], "name": ["Ana", "Ben", "Chloe"]})


def main():
    merged = orders.merge(customers, on="customer_id", how="left")
    pivot = merged.pivot_table(index="name", columns="month", values="amount", aggfunc="sum", fill_value=0)
    print(pivot)
    return pivot.reset_index().to_dict(orient="records")
