"""Jinja filters of the pages: French dates and ages, unbreakable phone numbers."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.messages import DIETS, NOT_GIVEN, SCHOOL_LEVELS, SEXES, YES_NO

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


def age(value: Any, *, today: date | None = None) -> str:
    """« 5 ans », « 1 an », « 8 mois » from a birth date (a date or an ISO string), today in
    Paris."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return ""
    if not isinstance(value, date):
        return ""
    today = today or datetime.now(PARIS).date()
    months = (today.year - value.year) * 12 + today.month - value.month
    if today.day < value.day:
        months -= 1
    if months < 0:
        return ""
    if months < 12:
        return f"{months} mois"
    years = months // 12
    return f"{years} an{'s' if years > 1 else ''}"


def nowrap(value: Any) -> str:
    """Spaces made non-breaking, so a phone number never splits across lines."""
    return str(value).replace(" ", "\u00a0")


_PERSON_DETAILS = (("phone", ""), ("phone_mobile", "portable : "), ("phone_home", "domicile : "),
                   ("phone_work", "travail : "), ("email", ""))


def _person(item: Any) -> str:
    """One guardian or contact on one line: « Madame Claire Martin (mère) — 06 12 34 56 78 »."""
    if not isinstance(item, dict):
        return str(item)
    name = " ".join(str(item[k]) for k in ("civility", "first_name", "last_name", "name")
                    if item.get(k))
    if item.get("relationship"):
        name += f" ({item['relationship']})"
    details = [f"{label}{nowrap(item[k]) if 'phone' in k else item[k]}"
               for k, label in _PERSON_DETAILS if item.get(k)]
    if item.get("employer"):
        details.append(f"employeur : {item['employer']}")
    return " — ".join([name, *details])


def family_value(value: Any, field: str = "") -> str:
    """A value of the family file as a parent reads it (field names as the families service
    gives them: `address.city`, `diet`…); lists of persons one per line."""
    key = field.rsplit(".", 1)[-1]
    if value is None or value == "" or value == []:
        return NOT_GIVEN
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, list):
        return "\n".join(_person(item) for item in value)
    if key == "birth_date":
        return french_date(value)
    labels = {"sex": SEXES, "diet": DIETS, "school_level": SCHOOL_LEVELS}.get(key)
    if labels is not None:
        return labels.get(str(value), str(value))
    return str(value)


FILTERS = {"french_date": french_date, "nowrap": nowrap, "age": age,
           "family_value": family_value}
