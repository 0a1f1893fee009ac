# corpus: benign
# Date arithmetic, formatting and time zones.
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def main():
    start = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
    deadlines = [start + timedelta(days=7 * week) for week in range(4)]
    paris = [d.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M %Z") for d in deadlines]
    days_left = (date(2024, 12, 25) - date(2024, 3, 1)).days
    parsed = datetime.strptime("2024-07-14 18:00", "%Y-%m-%d %H:%M")
    return {"paris": paris, "days_left": days_left, "weekday": parsed.strftime("%A")}
