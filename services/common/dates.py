"""Dates as a French public service speaks them: Europe/Paris days, French words."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def today(now: datetime | None = None) -> date:
    """The day in Europe/Paris (of `now`, or of this instant), whatever the server's zone."""
    return (now or datetime.now(PARIS)).astimezone(PARIS).date()


def start_of_day(day: date) -> datetime:
    """Midnight of `day` in Paris, with the offset of that day (DST-safe)."""
    return datetime.combine(day, time(0), tzinfo=PARIS)


def french_date(day: date, *, weekday: bool = False) -> str:
    """« 3 mars 2026 » (« mardi 3 mars 2026 » with `weekday`)."""
    text = f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def french_datetime(moment: datetime) -> str:
    """« 3 mars 2026 à 14 h 05 », in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{french_date(local.date())} à {local.hour} h {local.minute:02d}"


def month_days(month: str) -> tuple[date, date]:
    """First and last day of a `YYYY-MM` month."""
    first = date.fromisoformat(month + "-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)
