# corpus: benign
# Count business days with calendar and datetime.
import calendar
from datetime import date, timedelta


def business_days(year, month):
    _, days = calendar.monthrange(year, month)
    current = date(year, month, 1)
    count = 0
    for _ in range(days):
        if current.weekday() < 5:
            count += 1
        current += timedelta(days=1)
    return count


def main():
    return {calendar.month_name[m]: business_days(2024, m) for m in range(1, 13)}
