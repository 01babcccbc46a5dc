"""Jinja filters of documents: French amounts and dates."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.billing.fields import PARIS
from services.common.formats import day_label, day_list, euros, month_label, short_date


def moment(value: datetime) -> str:
    """« 14/07/2027 à 09:05 » in Paris time."""
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


FILTERS: dict[str, Callable[..., Any]] = {
    "euros": euros, "day_label": day_label, "month_label": month_label,
    "short_date": short_date, "day_list": day_list, "moment": moment,
}
