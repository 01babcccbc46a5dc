"""Field types of billing inputs: bounded texts without control characters, money, months."""

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, StringConstraints

from services.common.text import SingleLine, Text

PARIS = ZoneInfo("Europe/Paris")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Every amount an agent or a parent may type: up to 100,000 €.
MAX_CENTS = 10_000_000


def today() -> date:
    """Today in Europe/Paris, whatever the server's zone."""
    return datetime.now(PARIS).date()


def month_end(month: date) -> date:
    """The first day of the month after `month`'s."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def parse_month(value: Any) -> date:
    """« 2027-07 » → 2027-07-01."""
    if isinstance(value, date):
        return value.replace(day=1)
    found = _MONTH.match(value) if isinstance(value, str) else None
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise ValueError("Mois invalide (format attendu : AAAA-MM).")
    return date(int(found.group(1)), int(found.group(2)), 1)


# The kernel's text rule (services/common/text.py): no control character in a single line,
# line breaks only in a longer text.
Name = Annotated[SingleLine,
                 StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[Text,
                   StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Reference = Annotated[SingleLine,
                      StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
OptReference = Annotated[Reference | None, BeforeValidator(_blank_to_none)]
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[int, Field(ge=1, le=MAX_CENTS)]
Qf = Annotated[int, Field(ge=0, le=100_000)]
Percent = Annotated[int, Field(ge=0, le=100)]
Month = Annotated[date, BeforeValidator(parse_month)]
Year = Annotated[int, Field(ge=2000, le=2100)]
