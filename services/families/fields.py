"""Field types of the family file: limits, French messages, normalised phones and codes."""

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, StringConstraints

from services.common.text import SingleLine, Text

PARIS = ZoneInfo("Europe/Paris")

Civility = Literal["Madame", "Monsieur"]
Sex = Literal["F", "M"]
Diet = Literal["none", "no_pork", "vegetarian", "no_meat", "other"]
SchoolLevel = Literal[
    "TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2",
    "6e", "5e", "4e", "3e", "2nde", "1re", "Tle",
]


def today() -> date:
    """Today in Europe/Paris, whatever the server's zone."""
    return datetime.now(PARIS).date()


def _blank_to_none(value: Any) -> Any:
    # An emptied form field means "no value", not an empty string.
    if isinstance(value, str) and not value.strip():
        return None
    return value


# Names and lines refuse line breaks and control characters, texts NUL and controls other than
# line breaks (the kernel's shared rule, services/common/text.py).
Name = Annotated[SingleLine,
                 StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[SingleLine,
                  StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Line = Annotated[SingleLine,
                 StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
LongText = Annotated[Text,
                     StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Comment = Annotated[Text,
                    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]

OptName = Annotated[Name | None, BeforeValidator(_blank_to_none)]
OptLine = Annotated[Line | None, BeforeValidator(_blank_to_none)]
OptLongText = Annotated[LongText | None, BeforeValidator(_blank_to_none)]
OptComment = Annotated[Comment | None, BeforeValidator(_blank_to_none)]
SearchText = Annotated[
    Annotated[SingleLine, StringConstraints(strip_whitespace=True, max_length=100)] | None,
    BeforeValidator(_blank_to_none),
]

# An opaque cursor of services.common.pagination, read there (a tampered one is a 400).
PageCursor = Annotated[str | None, BeforeValidator(_blank_to_none)]

_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
_FRENCH_PHONE = re.compile(r"^0[1-9][0-9]{8}$")


def normalise_phone(value: str) -> str:
    """A French number as « 06 12 34 56 78 » (accepts +33, 0033, dots, dashes, spaces)."""
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if not _FRENCH_PHONE.match(digits):
        raise ValueError("Numéro de téléphone invalide (10 chiffres, par exemple 06 12 34 56 78).")
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def check_postal_code(value: str) -> str:
    if not re.fullmatch(r"[0-9]{5}", value):
        raise ValueError("Le code postal doit comporter 5 chiffres.")
    return value


def normalise_caf_number(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    if not re.fullmatch(r"[0-9]{1,10}", digits):
        raise ValueError(
            "Le numéro d'allocataire CAF ne doit contenir que des chiffres (10 au plus).")
    return digits


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_birth_date(value: date) -> date:
    now = today()
    if value >= now:
        raise ValueError("La date de naissance doit être dans le passé.")
    if value <= _years_before(now, 18):
        raise ValueError("L'enfant doit avoir moins de 18 ans.")
    return value


def _lower(value: str) -> str:
    return value.lower()


Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(normalise_phone)]
OptPhone = Annotated[Phone | None, BeforeValidator(_blank_to_none)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10),
                       AfterValidator(check_postal_code)]
CafNumber = Annotated[str, StringConstraints(max_length=20), AfterValidator(normalise_caf_number)]
OptCafNumber = Annotated[CafNumber | None, BeforeValidator(_blank_to_none)]
Email = Annotated[EmailStr, StringConstraints(strip_whitespace=True, max_length=254),
                  AfterValidator(_lower)]
OptEmail = Annotated[Email | None, BeforeValidator(_blank_to_none)]
BirthDate = Annotated[date, AfterValidator(check_birth_date)]
Qf = Annotated[int, Field(ge=0, le=100000)]


def not_null(value: Any) -> Any:
    """For partial updates: a field may be left out, but not emptied when it is required."""
    if value is None:
        raise ValueError("Ce champ ne peut pas être vide.")
    return value
