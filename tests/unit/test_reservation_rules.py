"""The rule engine of reservations: offered days, deadlines (weekends, public holidays, DST,
working days), eligibility, exclusions, the booking window."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.dates import PARIS
from services.reservations import rules
from services.reservations.rules import (
    ACCEPTED,
    IMPOSSIBLE,
    REQUESTED,
    Calendar,
    Eligibility,
    Rules,
    Window,
)

CALENDAR = Rules(auto_days=7, request_days=2, working_days=False)
WORKING = Rules(auto_days=3, request_days=1, working_days=True)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_french_public_holidays_come_from_the_library() -> None:
    assert rules.is_public_holiday(date(2026, 7, 14))
    assert rules.is_public_holiday(date(2027, 3, 29))  # Easter Monday 2027
    assert rules.is_public_holiday(date(2026, 5, 14))  # Ascension 2026
    assert not rules.is_public_holiday(date(2026, 7, 13))


def test_a_period_offers_its_weekdays_without_public_holidays_and_closures() -> None:
    calendar = Calendar(start=date(2026, 7, 6), end=date(2026, 7, 19),
                        weekdays=frozenset({1, 2, 3, 4, 5}),
                        closures=frozenset({date(2026, 7, 17)}))

    assert list(calendar.days()) == [
        date(2026, 7, 6), date(2026, 7, 7), date(2026, 7, 8), date(2026, 7, 9),
        date(2026, 7, 10), date(2026, 7, 13), date(2026, 7, 15), date(2026, 7, 16)]
    assert calendar.closed_reason(date(2026, 7, 14)) == "Jour férié : l'accueil est fermé."
    assert calendar.closed_reason(date(2026, 7, 17)) == "L'accueil est fermé ce jour-là."
    assert calendar.closed_reason(date(2026, 7, 11)) == "L'accueil est fermé ce jour-là."
    assert calendar.closed_reason(date(2026, 7, 20)) == "Ce jour est en dehors de la période."
    assert calendar.months() == ["2026-07"]


def test_months_of_a_period_across_a_new_year() -> None:
    calendar = Calendar(start=date(2026, 11, 30), end=date(2027, 2, 1),
                        weekdays=frozenset({1}), closures=frozenset())

    assert calendar.months() == ["2026-11", "2026-12", "2027-01", "2027-02"]


@pytest.mark.parametrize(("now", "outcome"), [
    (paris(2026, 7, 13, 23, 59), ACCEPTED),     # 7 days before Monday 20: the last minute
    (paris(2026, 7, 14, 0, 0), REQUESTED),      # 6 days before: a request
    (paris(2026, 7, 18, 23, 59), REQUESTED),    # 2 days before (Saturday): still a request
    (paris(2026, 7, 19, 0, 0), IMPOSSIBLE),     # the day before: too late
])
def test_calendar_days_count_weekends_like_any_day(now: datetime, outcome: str) -> None:
    assert CALENDAR.timing(now, date(2026, 7, 20)) == outcome


def test_the_deadline_is_the_last_second_of_the_request_day() -> None:
    assert CALENDAR.deadline(date(2026, 7, 20)) == paris(2026, 7, 18, 23, 59, 59)
    assert CALENDAR.lead(paris(2026, 7, 13, 8, 0), date(2026, 7, 20)) == 7


def test_working_days_skip_weekends() -> None:
    # Monday 2026-07-20, 3 working days before: Fri 17 (1), Thu 16 (2), Wed 15 (3).
    assert WORKING.day_before(date(2026, 7, 20), 3) == date(2026, 7, 15)
    assert WORKING.timing(paris(2026, 7, 15, 18, 0), date(2026, 7, 20)) == ACCEPTED
    assert WORKING.timing(paris(2026, 7, 16, 8, 0), date(2026, 7, 20)) == REQUESTED
    # A request until the end of the previous working day, Friday: not the weekend.
    assert WORKING.deadline(date(2026, 7, 20)) == paris(2026, 7, 17, 23, 59, 59)
    assert WORKING.timing(paris(2026, 7, 18, 10, 0), date(2026, 7, 20)) == IMPOSSIBLE


def test_working_days_skip_public_holidays() -> None:
    # Wednesday 15 July 2026: Tuesday 14 is a holiday, so 1 working day before is Monday 13.
    assert WORKING.day_before(date(2026, 7, 15), 1) == date(2026, 7, 13)
    assert WORKING.deadline(date(2026, 7, 15)) == paris(2026, 7, 13, 23, 59, 59)
    # Lead in working days from Saturday 11 to Wednesday 15: Monday 13 only.
    assert WORKING.lead(paris(2026, 7, 11, 9, 0), date(2026, 7, 15)) == 1


def test_deadlines_follow_paris_time_across_daylight_saving_changes() -> None:
    # Clocks go forward on Sunday 29 March 2026: midnight of the 30th is 22:00 UTC on the 29th.
    rules_ = Rules(auto_days=0, request_days=0, working_days=False)
    assert rules_.request_until(date(2026, 3, 29)) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert rules_.request_until(date(2026, 3, 28)) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    # And back on Sunday 25 October 2026: midnight of the 26th is 23:00 UTC on the 25th.
    assert rules_.request_until(date(2026, 10, 25)) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)
    # One minute before, in UTC, is still the same Paris day.
    moment = datetime(2026, 3, 29, 21, 59, tzinfo=UTC)
    assert CALENDAR.timing(moment, date(2026, 4, 5)) == ACCEPTED
    assert CALENDAR.timing(moment + timedelta(minutes=1), date(2026, 4, 5)) == REQUESTED


def test_eligibility_by_age_on_the_first_day() -> None:
    rule = Eligibility(min_age=3, max_age=11, school_levels=frozenset())
    start = date(2026, 7, 6)

    assert rules.ineligible_reason(rule, first_name="Léa", birth_date=date(2023, 7, 6),
                                   school_level=None, on=start) is None
    assert rules.ineligible_reason(rule, first_name="Léa", birth_date=date(2023, 7, 7),
                                   school_level=None, on=start) == (
        "Cette période accueille les enfants de 3 à 11 ans : Léa n'a pas l'âge requis.")
    assert rules.ineligible_reason(rule, first_name="Hugo", birth_date=date(2014, 7, 6),
                                   school_level=None, on=start) is not None


def test_eligibility_by_school_level() -> None:
    rule = Eligibility(min_age=None, max_age=None, school_levels=frozenset({"CP", "CE1"}))

    assert rules.ineligible_reason(rule, first_name="A", birth_date=date(2019, 1, 1),
                                   school_level="CP", on=date(2026, 9, 1)) is None
    assert rules.ineligible_reason(rule, first_name="A", birth_date=date(2019, 1, 1),
                                   school_level=None, on=date(2026, 9, 1)) == (
        "Cette période est réservée aux niveaux scolaires suivants : CE1, CP.")


def test_under_six_is_counted_on_the_day() -> None:
    assert rules.under_six(date(2020, 7, 10), date(2026, 7, 9))
    assert not rules.under_six(date(2020, 7, 10), date(2026, 7, 10))


def test_exclusions_are_checked_against_the_units_held_that_day() -> None:
    day, morning, meal = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    exclusions = {day: frozenset({morning}), morning: frozenset({day})}
    labels = {day: "Journée", morning: "Matin", meal: "Repas"}

    assert rules.exclusion_reason(morning, [day], exclusions, labels) == (
        "Matin et Journée ne peuvent pas être réservés le même jour.")
    assert rules.exclusion_reason(meal, [day, morning], exclusions, labels) is None


def test_the_booking_window() -> None:
    opens, closes = paris(2026, 6, 1, 9, 0), paris(2026, 6, 30, 18, 0)

    assert rules.window_state(paris(2026, 6, 1, 8, 59), opens, closes) is Window.NOT_YET
    assert rules.window_state(opens, opens, closes) is Window.OPEN
    assert rules.window_state(closes, opens, closes) is Window.CLOSED
    assert rules.window_reason(Window.NOT_YET, opens, closes) == (
        "Les réservations de cette période ouvrent le 1er juin 2026 à 9 h 00.")
