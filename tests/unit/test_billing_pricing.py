"""Pricing rules, pure: brackets, reductions, ranks of children; French amounts and dates."""

import uuid
from datetime import date

import pytest

from services.billing.documents.formats import day_list
from services.billing.invoicing.pricing import (
    Bracket,
    Tariff,
    bracket_for,
    check_brackets,
    child_ranks,
    price,
    reduced,
    tariff_on,
)
from services.common.formats import euros, month_label

BRACKETS = (Bracket(450, 800), Bracket(900, 1200), Bracket(None, 1500))


@pytest.mark.parametrize(("qf", "cents"), [(0, 800), (450, 800), (451, 1200), (900, 1200),
                                           (901, 1500), (100_000, 1500), (None, 1500)])
def test_a_qf_falls_in_its_bracket_and_no_qf_in_the_top_one(qf: int | None, cents: int) -> None:
    assert bracket_for(BRACKETS, qf).price_cents == cents


@pytest.mark.parametrize(("cents", "percent", "expected"), [
    (1000, 0, 1000), (1000, 10, 900), (1250, 15, 1063), (1, 50, 1), (999, 100, 0)])
def test_a_reduction_rounds_to_the_nearest_cent(cents: int, percent: int, expected: int) -> None:
    assert reduced(cents, percent) == expected


def test_children_rank_by_birth_date_eldest_first_then_by_id() -> None:
    twins = sorted([uuid.uuid4(), uuid.uuid4()], key=str)
    eldest = uuid.uuid4()
    ranks = child_ranks([(twins[1], date(2020, 1, 1)), (eldest, date(2015, 1, 1)),
                         (twins[0], date(2020, 1, 1)), (eldest, date(2015, 1, 1))])
    assert ranks == {eldest: 1, twins[0]: 2, twins[1]: 3}


def test_the_reduction_applies_from_the_second_child() -> None:
    tariff = Tariff(uuid.uuid4(), uuid.uuid4(), date(2020, 1, 1), BRACKETS, 20, True)
    assert price(tariff, qf=500, rank=1).cents == 1200
    assert (price(tariff, qf=500, rank=2).cents, price(tariff, qf=None, rank=3).cents) == (
        960, 1200)


def test_the_tariff_of_a_day_is_the_latest_in_force() -> None:
    unit = uuid.uuid4()
    old = Tariff(uuid.uuid4(), unit, date(2026, 1, 1), BRACKETS, 0, True)
    new = Tariff(uuid.uuid4(), unit, date(2027, 9, 1), BRACKETS, 0, True)
    assert tariff_on([old, new], date(2025, 12, 31)) is None
    assert tariff_on([old, new], date(2027, 8, 31)) is old
    assert tariff_on([old, new], date(2027, 9, 1)) is new


@pytest.mark.parametrize("brackets", [
    [], [Bracket(450, 1)], [Bracket(None, 1), Bracket(None, 2)],
    [Bracket(900, 1), Bracket(450, 2), Bracket(None, 3)],
    [Bracket(450, 1), Bracket(450, 2), Bracket(None, 3)]])
def test_badly_ordered_brackets_are_refused(brackets: list[Bracket]) -> None:
    with pytest.raises(ValueError):
        check_brackets(brackets)


@pytest.mark.parametrize(("cents", "text"), [
    (0, "0,00 €"), (5, "0,05 €"), (123450, "1 234,50 €"), (-1200, "-12,00 €"),
    (123456789, "1 234 567,89 €")])
def test_amounts_read_the_french_way(cents: int, text: str) -> None:
    assert euros(cents).replace("\u00a0", " ") == text


def test_dates_and_months_read_the_french_way() -> None:
    assert month_label(date(2027, 8, 1)) == "août 2027"
    assert day_list([date(2027, 7, 3), date(2027, 7, 1), date(2027, 7, 2)]) == \
        "1er, 2 et 3 juillet 2027"
    assert day_list([date(2027, 6, 30), date(2027, 7, 1)]) == "30 juin 2027 ; 1er juillet 2027"
