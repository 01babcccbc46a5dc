"""Field types and bases shared by the subjects of the reservations service."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from services.common.text import SingleLine
from services.common.text import Text as MultiLine

Kind = Literal["book", "cancel"]
EstablishmentKind = Literal["accueil_de_loisirs", "periscolaire"]
SchoolLevel = Literal[
    "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2",
    "6e", "5e", "4e", "3e", "2nde", "1re", "Tle",
]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Dates the service deals in: a bound keeps year 9999 and friends out of every computation.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _month(value: str) -> str:
    if not _MONTH.match(value) or not FIRST_DAY.year <= int(value[:4]) <= LAST_DAY.year:
        raise ValueError("Mois invalide (format attendu : AAAA-MM).")
    return value


def _day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("Date hors des limites acceptées.")
    return value


# Control characters (NUL above all: PostgreSQL refuses it in text) never enter a field: the
# kernel's one text rule (services/common/text.py).
Text = SingleLine
Name = Annotated[SingleLine,
                 StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[SingleLine,
                  StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20,
                                        pattern=r"^[A-Za-z0-9_-]+$")]
Comment = Annotated[MultiLine,
                    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
OptComment = Annotated[Comment | None, BeforeValidator(_blank_to_none)]
Month = Annotated[str, StringConstraints(max_length=7), AfterValidator(_month)]
Day = Annotated[date, AfterValidator(_day)]
IsoWeekday = Annotated[int, Field(ge=1, le=7)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Cursor = Annotated[SingleLine, StringConstraints(max_length=512)]


class Input(BaseModel):
    """What clients send: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    pass
