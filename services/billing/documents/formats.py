"""Jinja filters of documents: French amounts and dates."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Any

from services.billing.fields import PARIS
from services.common.formats import MONTHS, day_label, euros, month_label, short_date


def day_list(days: Iterable[date]) -> str:
    """« 1er, 2, 3 et 7 juillet 2027 » (several months: « 30 juin et 1er juillet 2027 »)."""
    ordered = sorted(set(days))
    parts: list[str] = []
    for (year, month), group in groupby(ordered, key=lambda d: (d.year, d.month)):
        numbers = ["1er" if d.day == 1 else str(d.day) for d in group]
        joined = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " et " + \
            numbers[-1]
        parts.append(f"{joined} {MONTHS[month - 1]} {year}")
    return " ; ".join(parts)


def moment(value: datetime) -> str:
    """« 14/07/2027 à 09:05 » in Paris time."""
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


FILTERS: dict[str, Callable[..., Any]] = {
    "euros": euros, "day_label": day_label, "month_label": month_label,
    "short_date": short_date, "day_list": day_list, "moment": moment,
}
