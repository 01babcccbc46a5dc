"""French formats of amounts and months, shared by documents, pages and e-mails."""

from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby

from services.common.dates import PARIS

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# Non-breaking: an amount never splits across lines (« 1 234,50 € »).
NBSP = "\u00a0"


def euros(cents: int) -> str:
    """« 1 234,50 € », « -12,00 € » from integer cents."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def month_label(month: date | str) -> str:
    """« juillet 2027 » from a date in that month or « 2027-07 »."""
    if isinstance(month, str):
        month = date.fromisoformat(month[:7] + "-01")
    return f"{MONTHS[month.month - 1]} {month.year}"


def day_label(day: date | str, *, weekday: bool = False) -> str:
    """« 1er juillet 2027 », « 14 juillet 2027 » (« mercredi 14 juillet 2027 » with
    `weekday`)."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {MONTHS[day.month - 1]} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def datetime_label(moment: datetime) -> str:
    """« 3 mars 2026 à 14 h 05 », in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{day_label(local.date())} à {local.hour} h {local.minute:02d}"


def short_date(day: date | str) -> str:
    """« 14/07/2027 »."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day:%d/%m/%Y}"


def day_list(days: Iterable[date | str]) -> str:
    """« 1er, 2, 3 et 7 juillet 2027 » (several months: « 30 juin et 1er juillet 2027 »)."""
    ordered = sorted({date.fromisoformat(d[:10]) if isinstance(d, str) else d for d in days})
    parts: list[str] = []
    for (year, month), group in groupby(ordered, key=lambda d: (d.year, d.month)):
        numbers = ["1er" if d.day == 1 else str(d.day) for d in group]
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " et " + \
            numbers[-1]
        parts.append(f"{joined} {MONTHS[month - 1]} {year}")
    return " ; ".join(parts)
