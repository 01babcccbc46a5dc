"""Days as the service counts them: in Europe/Paris, whatever the server's zone (their French
words are in services.common.formats)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today(now: datetime | None = None) -> date:
    """The day in Europe/Paris (of `now`, or of this instant), whatever the server's zone."""
    return (now or datetime.now(PARIS)).astimezone(PARIS).date()


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in Paris, with the offset of that day (DST-safe)."""
    return datetime.combine(day, time(0), tzinfo=PARIS)


def month_days(month: str) -> tuple[date, date]:
    """First and last day of a `YYYY-MM` month."""
    first = date.fromisoformat(month + "-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)
