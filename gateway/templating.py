"""Jinja filters of the pages: French dates and ages, unbreakable phone numbers."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.messages import DIETS, NOT_GIVEN, SCHOOL_LEVELS, SEXES, YES_NO
from services.common import formats
from services.common.formats import day_list, euros

PARIS = ZoneInfo("Europe/Paris")


def french_date(value: Any) -> str:
    """« 5 juillet 2027 », « 1er décembre 2026 à 8 h 34 » from a date, a datetime (shown in
    Paris time) or an ISO string: the kernel's one date style, as in the e-mails."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return formats.datetime_label(value if value.tzinfo else value.replace(tzinfo=PARIS))
    if isinstance(value, date):
        return formats.day_label(value)
    return "" if value is None else str(value)


def numeric_date(value: Any) -> str:
    """« 10/02/2040 » from a date or an ISO date (the bank's style, « prélèvement le … »)."""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{day:%d/%m/%Y}"


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
    if "phone" in key:
        return nowrap(value)
    return str(value)


# ---- days of the planning and of reservation lines ------------------------------------------

SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
                "oct.", "nov.", "déc.")


def parse_day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_instant(value: Any) -> datetime | None:
    """A service time (ISO 8601 with offset) in Paris time; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(PARIS) if moment.tzinfo else moment


def day_label(day: date) -> str:
    """« lundi 5 juillet », « mardi 1er juin » (the kernel's style without the year)."""
    return formats.day_label(day, weekday=True).rsplit(" ", 1)[0]


def long_day(value: Any) -> str:
    """« lundi 5 juillet 2027 » from a date or its ISO text."""
    day = parse_day(value)
    return formats.day_label(day, weekday=True) if day else str(value or "")


def short_day(value: Any) -> str:
    """« 2 juil. » for a deadline (a date, or a time read in Paris)."""
    moment = parse_instant(value) if isinstance(value, str) and "T" in value else None
    day = moment.date() if moment else parse_day(value)
    return f"{day.day} {SHORT_MONTHS[day.month - 1]}" if day else ""


def month_label(month: Any) -> str:
    """« juillet 2027 » from « 2027-07 »."""
    try:
        return formats.month_label(str(month))
    except ValueError:
        return str(month)


def capitalize_first(value: Any) -> str:
    """The first letter in upper case, the rest untouched (unlike Jinja's `capitalize`)."""
    text = str(value)
    return text[:1].upper() + text[1:]


def euros_of(value: Any) -> str:
    """« 1 234,50 € » from integer cents (the services' money); « — » when unknown."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "—"
    return euros(value)


def days_of(value: Any) -> str:
    """« 1er, 8 et 15 juillet 2027 » from the service's ISO dates."""
    try:
        return day_list(value or [])
    except (TypeError, ValueError):
        return ""


FILTERS = {"euros": euros_of, "day_list": days_of, "capitalize_first": capitalize_first,
           "french_date": french_date, "nowrap": nowrap, "numeric_date": numeric_date,
           "age": age, "family_value": family_value, "long_day": long_day,
           "short_day": short_day, "month_label": month_label}
