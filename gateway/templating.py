"""Jinja filters of the pages: French dates, unbreakable phone numbers."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")


def french_date(value: Any) -> str:
    """« 5 juillet 2027 » from a date, a datetime (shown in Paris time) or an ISO string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.astimezone(PARIS) if value.tzinfo else value
        return f"{value.day} {MONTHS[value.month - 1]} {value.year} à {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return "" if value is None else str(value)


def nowrap(value: Any) -> str:
    """Spaces made non-breaking, so a phone number never splits across lines."""
    return str(value).replace(" ", "\u00a0")


FILTERS = {"french_date": french_date, "nowrap": nowrap}
