"""Separated parents (issue 11): a child in two households, each booking on its own weeks
under alternate weeks (« libre »: any day); an unlinked household keeps its past reservations
but can no longer book or cancel for the child; every event about the child is ordered by
its one version."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from services.common.events.families import ChildCreated, ChildLinked, ChildUnlinked, Custody
from services.reservations.households import service as households
from services.reservations.households.service import NO_LONGER_MEMBER
from services.reservations.planning.board import OTHER_CUSTODY
from tests.service.reservations.helpers import Catalogue, Family, Reservations, quiet_monday
from tests.service.reservations.test_read_model import _processed, publish
from tests.support import eventually

BIRTH = date(2018, 5, 4)


@dataclass
class Shared:
    """A child of two households: the mother has the even ISO weeks."""

    child: uuid.UUID
    mother: Family
    father: Family


async def shared_child(reservations: Reservations, pattern: str | None = "alternate_weeks"
                       ) -> Shared:
    mother_id, father_id, child_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with reservations.db.acquire() as conn:
        await households.apply_child(
            conn, child_id=child_id, family_id=mother_id, first_name="Noé",
            last_name="Dupont", birth_date=BIRTH, school_level=None, version=2,
            family_ids=[mother_id, father_id], custody_pattern=pattern,
            even_weeks_family_id=mother_id if pattern else None)
    return Shared(child_id, Family(mother_id, [child_id]), Family(father_id, [child_id]))


def weeks(catalogue: Catalogue) -> tuple[date, date]:
    """A Monday of an even ISO week and one of an odd week, both quiet, in the period."""
    monday = quiet_monday(date.fromisoformat(catalogue.period["start_date"]))
    other = quiet_monday(monday + timedelta(days=7))
    while (other.isocalendar().week - monday.isocalendar().week) % 2 == 0:
        other = quiet_monday(other + timedelta(days=7))
    return (monday, other) if monday.isocalendar().week % 2 == 0 else (other, monday)


async def planning_cell(reservations: Reservations, family: Family, catalogue: Catalogue,
                        day: date, code: str = "JOURNEE") -> dict[str, Any]:
    body = await reservations.ok(
        "GET", f"{family.path}/planning?child_id={family.child}"
               f"&period_id={catalogue.period['id']}&month={day:%Y-%m}",
        headers=family.headers())
    found: dict[str, Any] = next(c for d in body["days"] if d["date"] == day.isoformat()
                                 for c in d["cells"] if c["unit_id"] == catalogue.unit(code))
    return found


async def test_each_household_books_the_shared_child_on_its_own_weeks(
        reservations: Reservations, catalogue: Catalogue) -> None:
    shared = await shared_child(reservations)
    even, odd = weeks(catalogue)

    mother = await reservations.book(shared.mother, catalogue,
                                     [(even, "JOURNEE"), (even + timedelta(days=1), "JOURNEE")])
    father = await reservations.book(shared.father, catalogue,
                                     [(odd, "JOURNEE"), (odd + timedelta(days=1), "JOURNEE")])

    assert (mother.status, father.status) == (201, 201), (mother.body, father.body)
    assert {line["state"] for line in mother.body["lines"] + father.body["lines"]} == {
        "accepted"}
    mine = await reservations.ok("GET", f"{shared.mother.path}/reservations",
                                 headers=shared.mother.headers())
    assert [r["number"] for r in mine["items"]] == [mother.body["number"]]


async def test_the_other_households_week_is_marked_and_refused_with_nothing_written(
        reservations: Reservations, catalogue: Catalogue) -> None:
    shared = await shared_child(reservations)
    even, odd = weeks(catalogue)
    before = await reservations.counts()

    refused = await reservations.book(shared.father, catalogue,
                                      [(odd, "JOURNEE"), (even, "MATIN")])

    assert refused.status == 422
    assert refused.fields["lines.1"].endswith(OTHER_CUSTODY)
    assert "lines.0" not in refused.fields
    assert await reservations.counts() == before
    marked = await planning_cell(reservations, shared.father, catalogue, even)
    assert (marked["state"], marked["outcome"], marked["reason"]) == (
        "other_custody", "impossible", OTHER_CUSTODY)
    own = await planning_cell(reservations, shared.father, catalogue, odd)
    assert (own["state"], own["outcome"]) == ("available", "accepted")
    mothers = await planning_cell(reservations, shared.mother, catalogue, odd)
    assert mothers["state"] == "other_custody"


async def test_the_selection_skips_the_other_households_week_with_why(
        reservations: Reservations, catalogue: Catalogue) -> None:
    shared = await shared_child(reservations)
    even, _ = weeks(catalogue)

    answer = await reservations.ok("POST", f"{shared.father.path}/selection",
                                   headers=shared.father.headers(), json={
        "child_id": str(shared.child), "period_id": catalogue.period["id"], "action": "add",
        "unit_id": catalogue.unit("JOURNEE"), "scope": "week", "week_of": even.isoformat()})

    assert answer["changed"] == 0
    assert {s["reason"] for s in answer["skipped_reasons"]} == {OTHER_CUSTODY}


@pytest.mark.parametrize("pattern", ["free", None])
async def test_free_custody_or_none_lets_each_household_book_any_day(
        reservations: Reservations, catalogue: Catalogue, pattern: str | None) -> None:
    shared = await shared_child(reservations, pattern)
    even, odd = weeks(catalogue)

    father = await reservations.book(shared.father, catalogue, [(even, "JOURNEE")])
    mother = await reservations.book(shared.mother, catalogue, [(odd, "JOURNEE")])

    assert (father.status, mother.status) == (201, 201)


async def test_an_unlinked_household_keeps_its_history_but_can_no_longer_book_or_cancel(
        reservations: Reservations, catalogue: Catalogue) -> None:
    shared = await shared_child(reservations)
    _, odd = weeks(catalogue)
    booked = await reservations.book(shared.father, catalogue, [(odd, "JOURNEE")])
    assert booked.status == 201
    async with reservations.db.acquire() as conn:
        await households.apply_unlinked(conn, child_id=shared.child,
                                        family_ids=[shared.mother.id], version=3)
    before = await reservations.counts()

    father = shared.father
    planning = await reservations.call(
        "GET", f"{father.path}/planning?child_id={shared.child}"
               f"&period_id={catalogue.period['id']}&month={odd:%Y-%m}",
        headers=father.headers())
    book = await reservations.book(father, catalogue, [(odd + timedelta(days=1), "JOURNEE")])
    cancel = await reservations.book(father, catalogue, [(odd, "JOURNEE")], kind="cancel")
    periods = await reservations.call("GET", f"{father.path}/periods?child_id={shared.child}",
                                      headers=father.headers())

    for answer in (planning, book, cancel, periods):
        assert (answer.status, answer.body["title"]) == (403, NO_LONGER_MEMBER)
    assert await reservations.counts() == before
    history = await reservations.ok("GET", f"{father.path}/reservations",
                                    headers=father.headers())
    assert [r["number"] for r in history["items"]] == [booked.body["number"]]
    detail = await reservations.ok("GET", f"{father.path}/reservations/{booked.body['number']}",
                                   headers=father.headers())
    assert [line["state"] for line in detail["lines"]] == ["accepted"]
    # The mother, alone now, books any week; the father's day stays his.
    mother = await reservations.book(shared.mother, catalogue,
                                     [(odd + timedelta(days=2), "JOURNEE")])
    assert mother.status == 201, mother.body
    kept = await planning_cell(reservations, shared.mother, catalogue, odd)
    assert kept["state"] == "other_household"


def linked(child_id: uuid.UUID, family_id: uuid.UUID, family_ids: list[uuid.UUID],
           version: int, custody: Custody | None = None) -> Any:
    return ChildLinked(child_id=child_id, family_id=family_id, family_ids=family_ids,
                       first_name="Noé", last_name="Dupont", birth_date=BIRTH,
                       school_level="CE1", custody=custody,
                       entity_version=version).envelope(producer="families")


def unlinked(child_id: uuid.UUID, family_id: uuid.UUID, family_ids: list[uuid.UUID],
             version: int) -> Any:
    return ChildUnlinked(child_id=child_id, family_id=family_id, family_ids=family_ids,
                         entity_version=version).envelope(producer="families")


async def households_of(reservations: Reservations, child_id: uuid.UUID
                        ) -> dict[uuid.UUID, bool]:
    """Each household of the child → whether its membership is current."""
    async with reservations.db.acquire() as conn:
        rows = await conn.fetch("SELECT family_id, ended_at IS NULL AS current "
                                "FROM memberships WHERE child_id = $1", child_id)
    return {r["family_id"]: r["current"] for r in rows}


async def test_link_and_unlink_events_follow_the_childs_one_version(
        reservations: Reservations, catalogue: Catalogue) -> None:
    mother, father, child_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    custody = Custody(pattern="alternate_weeks", even_weeks_family_id=mother)
    created = ChildCreated(child_id=child_id, family_id=mother, first_name="Noé",
                           last_name="Dupont", birth_date=BIRTH, school_level="CE1",
                           family_ids=[mother], entity_version=1).envelope(producer="families")
    link = linked(child_id, father, [mother, father], 2, custody)
    unlink = unlinked(child_id, father, [mother], 3)

    # Out of order: the unlink overtakes the link, which then changes nothing.
    await publish(created, unlink)
    await eventually(lambda: _processed(reservations, [created.id, unlink.id]))
    await publish(link)
    await eventually(lambda: _processed(reservations, [link.id]))
    assert await households_of(reservations, child_id) == {mother: True}
    refused = await reservations.call(
        "GET", f"/families/{father}/planning?child_id={child_id}"
               f"&period_id={catalogue.period['id']}", headers=Family(father, []).headers())
    assert refused.status == 404

    # Linked again (newer): the father is back, custody in force; then unlinked again.
    relink = linked(child_id, father, [mother, father], 4, custody)
    await publish(relink)
    await eventually(lambda: _processed(reservations, [relink.id]))
    assert await households_of(reservations, child_id) == {mother: True, father: True}
    even, _ = weeks(catalogue)
    cell = await planning_cell(reservations, Family(father, [child_id]), catalogue, even)
    assert cell["state"] == "other_custody"

    again = unlinked(child_id, father, [mother], 5)
    await publish(again, relink)  # a redelivery of an older event changes nothing
    await eventually(lambda: _processed(reservations, [again.id]))
    assert await households_of(reservations, child_id) == {mother: True, father: False}


async def test_an_unlink_of_a_child_not_received_yet_waits_for_its_retry(
        reservations: Reservations) -> None:
    async with reservations.db.acquire() as conn:
        with pytest.raises(households.ChildNotKnownYet):
            await households.apply_unlinked(conn, child_id=uuid.uuid4(),
                                            family_ids=[uuid.uuid4()], version=3)


async def test_a_day_booked_before_custody_was_set_stays_shown_and_cancellable(
        reservations: Reservations, catalogue: Catalogue) -> None:
    shared = await shared_child(reservations, None)
    even, _ = weeks(catalogue)
    booked = await reservations.book(shared.father, catalogue, [(even, "JOURNEE")])
    assert booked.status == 201
    async with reservations.db.acquire() as conn:  # alternate weeks from now on
        await households.apply_child(
            conn, child_id=shared.child, family_id=shared.mother.id, first_name="Noé",
            last_name="Dupont", birth_date=BIRTH, school_level=None, version=3,
            family_ids=[shared.mother.id, shared.father.id],
            custody_pattern="alternate_weeks", even_weeks_family_id=shared.mother.id)

    kept = await planning_cell(reservations, shared.father, catalogue, even)
    other_unit = await planning_cell(reservations, shared.father, catalogue, even, "REPAS")
    cancelled = await reservations.book(shared.father, catalogue, [(even, "JOURNEE")],
                                        kind="cancel")

    assert kept["state"] == "reserved"
    assert other_unit["state"] == "other_custody"
    assert cancelled.status == 201, cancelled.body
