"""Dates and durations in the mails read as a French public service writes them."""

from datetime import UTC, datetime, timedelta

from services.common.formats import datetime_label
from services.notifier.mails import french_duration


def test_dates_are_given_in_paris_time_winter_and_summer() -> None:
    assert datetime_label(datetime(2026, 3, 3, 13, 5, tzinfo=UTC)) == "3 mars 2026 à 14 h 05"
    assert datetime_label(datetime(2026, 7, 1, 8, 0, tzinfo=UTC)) == "1er juillet 2026 à 10 h 00"
    assert datetime_label(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == (
        "1er janvier 2027 à 0 h 30")


def test_link_validity_is_said_in_minutes_hours_or_days() -> None:
    assert french_duration(timedelta(minutes=29, seconds=59)) == "30 minutes"
    assert french_duration(timedelta(minutes=90)) == "90 minutes"
    assert french_duration(timedelta(hours=1)) == "1 heure"
    assert french_duration(timedelta(hours=24)) == "24 heures"
    assert french_duration(timedelta(days=7)) == "7 jours"


def test_no_validity_is_stated_for_a_deadline_already_past() -> None:
    assert french_duration(timedelta(minutes=-5)) is None
