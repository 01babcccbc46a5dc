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

Kind = Literal["book", "cancel"]
EstablishmentKind = Literal["accueil_de_loisirs", "periscolaire"]
SchoolLevel = Literal[
    "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2",
    "6e", "5e", "4e", "3e", "2nde", "1re", "Tle",
]
# Control characters (NUL above all: PostgreSQL refuses it in text) never enter a field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Dates the service deals in: a bound keeps year 9999 and friends out of every computation.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Ce champ contient des caractères non autorisés.")
    return value


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


Text = Annotated[str, AfterValidator(_no_control)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                 AfterValidator(_no_control)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
                  AfterValidator(_no_control)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20,
                                        pattern=r"^[A-Za-z0-9_-]+$")]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                    AfterValidator(_no_control)]
OptComment = Annotated[Comment | None, BeforeValidator(_blank_to_none)]
Month = Annotated[str, StringConstraints(max_length=7), AfterValidator(_month)]
Day = Annotated[date, AfterValidator(_day)]
IsoWeekday = Annotated[int, Field(ge=1, le=7)]
Count = Annotated[int, Field(ge=0, le=100_000)]
Cursor = Annotated[str, StringConstraints(max_length=512), AfterValidator(_no_control)]


class Input(BaseModel):
    """What clients send: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    pass
