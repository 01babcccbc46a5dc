"""The rule engine, pure: which days a period offers, deadlines, eligibility, exclusions, and
the outcome a booking or a cancellation of one cell gets at an instant.

Deadlines (SPEC §4, docs/contracts.md): for day D at instant T (Paris), booking or cancelling
is automatic until the end of the day `auto_days` before D, a request for staff until the end
of the day `request_days` before D, impossible after. Days are counted as calendar days, or as
working days (Monday–Friday without French public holidays) when the period says so. Ends of
days are Paris midnights computed for each date, so a deadline across a DST change is right.
"""

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays

from services.common.dates import start_of_day
from services.common.dates import today as paris_today
from services.common.formats import datetime_label, day_label

Outcome = str  # "accepted" | "requested" | "waiting" | "impossible" | "drawing"
ACCEPTED, REQUESTED, WAITING, IMPOSSIBLE = "accepted", "requested", "waiting", "impossible"
# A lottery period before its draw: the booking waits for the draw, holding no place.
DRAWING = "drawing"


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """French public holidays of a year (metropolitan France), from the `holidays` library."""
    return frozenset(holidays.country_holidays("FR", years=year))


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.isoweekday() <= 5 and not is_public_holiday(day)


@dataclass(frozen=True)
class Calendar:
    """The days a period may open: its range, ISO weekdays and closure days."""

    start: date
    end: date
    weekdays: frozenset[int]
    closures: frozenset[date]

    def closed_reason(self, day: date) -> str | None:
        """Why `day` is not offered (French), or None when it is."""
        if not self.start <= day <= self.end:
            return "Ce jour est en dehors de la période."
        if is_public_holiday(day):
            return "Jour férié : l'accueil est fermé."
        if day.isoweekday() not in self.weekdays or day in self.closures:
            return "L'accueil est fermé ce jour-là."
        return None

    def offers(self, day: date) -> bool:
        return self.closed_reason(day) is None

    def days(self, first: date | None = None, last: date | None = None) -> Iterator[date]:
        """Every offered day of the period (between `first` and `last` when given)."""
        day = max(self.start, first or self.start)
        last = min(self.end, last or self.end)
        while day <= last:
            if self.offers(day):
                yield day
            day += timedelta(days=1)

    def months(self) -> list[str]:
        """`YYYY-MM` of every month the period touches."""
        out: list[str] = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


@dataclass(frozen=True)
class Rules:
    """Processing rules of a period (« délais de traitement »)."""

    auto_days: int
    request_days: int
    working_days: bool

    def day_before(self, day: date, count: int) -> date:
        """The day `count` days before `day`: calendar days, or the `count`-th working day
        before it (`day` itself never counts)."""
        if not self.working_days:
            return day - timedelta(days=count)
        found = day
        for _ in range(count):
            found -= timedelta(days=1)
            while not is_working_day(found):
                found -= timedelta(days=1)
        return found

    def auto_until(self, day: date) -> datetime:
        """The instant automatic booking/cancelling of `day` ends (exclusive)."""
        return start_of_day(self.day_before(day, self.auto_days) + timedelta(days=1))

    def request_until(self, day: date) -> datetime:
        """The instant any booking/cancelling of `day` ends (exclusive)."""
        return start_of_day(self.day_before(day, self.request_days) + timedelta(days=1))

    def deadline(self, day: date) -> datetime:
        """« Modifiable jusqu'au … »: the last second `day` can still be booked or cancelled."""
        return self.request_until(day) - timedelta(seconds=1)

    def timing(self, now: datetime, day: date) -> Outcome:
        """accepted (automatic), requested (staff decide) or impossible (too late)."""
        if now < self.auto_until(day):
            return ACCEPTED
        if now < self.request_until(day):
            return REQUESTED
        return IMPOSSIBLE

    def lead(self, now: datetime, day: date) -> int:
        """Days from `now`'s date to `day`: calendar days, or working days in [today, day)."""
        today = paris_today(now)
        if not self.working_days:
            return (day - today).days
        return sum(1 for n in range((day - today).days)
                   if is_working_day(today + timedelta(days=n)))


@dataclass(frozen=True)
class Eligibility:
    min_age: int | None
    max_age: int | None
    school_levels: frozenset[str]


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def ineligible_reason(rule: Eligibility, *, first_name: str, birth_date: date,
                      school_level: str | None, on: date) -> str | None:
    """Why the child may not attend the period (age on its first day, school level)."""
    age = age_on(birth_date, on)
    too_young = rule.min_age is not None and age < rule.min_age
    too_old = rule.max_age is not None and age > rule.max_age
    if too_young or too_old:
        if rule.min_age is not None and rule.max_age is not None:
            span = f"de {rule.min_age} à {rule.max_age} ans"
        elif rule.min_age is not None:
            span = f"à partir de {rule.min_age} ans"
        else:
            span = f"jusqu'à {rule.max_age} ans"
        return f"Cette période accueille les enfants {span} : {first_name} n'a pas l'âge requis."
    if rule.school_levels and school_level not in rule.school_levels:
        levels = ", ".join(sorted(rule.school_levels))
        return f"Cette période est réservée aux niveaux scolaires suivants : {levels}."
    return None


def under_six(birth_date: date, on: date) -> bool:
    """The supervision-ratio split: under 6 years on the day."""
    return age_on(birth_date, on) < 6


def exclusion_reason(unit_id: uuid.UUID, others: Iterable[uuid.UUID],
                     exclusions: Mapping[uuid.UUID, Collection[uuid.UUID]],
                     labels: Mapping[uuid.UUID, str]) -> str | None:
    """Why `unit_id` cannot join the units `others` already held that day (symmetric)."""
    excluded = exclusions.get(unit_id, ())
    for other in others:
        if other in excluded:
            first = labels.get(unit_id, "Cette unité")
            second = labels.get(other, "une autre unité")
            return f"{first} et {second} ne peuvent pas être réservés le même jour."
    return None


class Window(StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"
    CLOSED = "closed"


def window_state(now: datetime, opens_at: datetime, closes_at: datetime) -> Window:
    if now < opens_at:
        return Window.NOT_YET
    if now >= closes_at:
        return Window.CLOSED
    return Window.OPEN


def window_reason(state: Window, opens_at: datetime, closes_at: datetime) -> str | None:
    if state is Window.NOT_YET:
        return f"Les réservations de cette période ouvrent le {datetime_label(opens_at)}."
    if state is Window.CLOSED:
        return ("Les réservations de cette période sont closes depuis le "
                f"{datetime_label(closes_at)}.")
    return None


def too_late_reason(deadline: datetime, *, cancel: bool) -> str:
    verb = "annulé" if cancel else "réservé"
    return f"Trop tard : ce jour ne pouvait être {verb} que jusqu'au {datetime_label(deadline)}."


def request_reason(day: date, rules: Rules, *, cancel: bool) -> str:
    unit = "jours ouvrés" if rules.working_days else "jours"
    what = "Annulation" if cancel else "Réservation"
    return (f"{what} à moins de {rules.auto_days} {unit} du {day_label(day)} : "
            "soumise à la validation du service.")


def draw_reason(draw_at: datetime | None, now: datetime) -> str:
    """What a booking on a lottery period not drawn yet becomes, in the parent's words."""
    if draw_at is None or now < draw_at:
        until = f" avant le {datetime_label(draw_at)}" if draw_at is not None else ""
        return (f"En attente du tirage au sort : les demandes reçues{until} sont tirées au "
                "sort, puis les places attribuées selon les règles de la période. Le résultat "
                "vous sera envoyé par e-mail.")
    return (f"En attente du tirage au sort : reçue après la date limite du "
            f"{datetime_label(draw_at)}, la demande sera servie après celles tirées au sort, "
            "dans l'ordre d'arrivée. Le résultat vous sera envoyé par e-mail.")


FULL_REASON = "Complet : la demande sera inscrite sur la liste d'attente."
