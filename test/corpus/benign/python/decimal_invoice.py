# corpus: benign
# An invoice with Decimal rounding and fractions.
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def main():
    lines = [("widget", Decimal("19.99"), 3), ("gadget", Decimal("5.25"), 4), ("cable", Decimal("2.10"), 10)]
    subtotal = sum(price * qty for _, price, qty in lines)
    tax = (subtotal * Decimal("0.0825")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    share = Fraction(1, 3) + Fraction(1, 6)
    return {"subtotal": str(subtotal), "tax": str(tax), "total": str(subtotal + tax), "share": str(share)}
