"""Children and families come from the families events, versioned: a late or repeated event
never overwrites a newer state; a child may belong to two households, each booking on its
own."""

import uuid
from datetime import date, timedelta
from typing import Any

from services.common.bus import Bus
from services.common.events import Envelope
from services.common.events.families import ChildCreated, ChildUpdated, FamilyUpdated
from tests.service.reservations.helpers import (
    Catalogue,
    Family,
    Reservations,
    next_weekday,
    parent,
)
from tests.support import AMQP_URL, NAMESPACE, eventually


async def publish(*envelopes: Envelope) -> None:
    bus = Bus(AMQP_URL, NAMESPACE)
    await bus.connect()
    try:
        for envelope in envelopes:
            await bus.publish(envelope)
    finally:
        await bus.close()


def child_event(kind: type[ChildCreated] | type[ChildUpdated], child_id: uuid.UUID,
                family_id: uuid.UUID, version: int, first_name: str) -> Envelope:
    return kind(child_id=child_id, family_id=family_id, first_name=first_name,
                last_name="Dupont", birth_date=date(2018, 5, 4), school_level="CE1",
                entity_version=version).envelope(producer="families")


async def child_row(reservations: Reservations, child_id: uuid.UUID) -> Any:
    async with reservations.db.acquire() as conn:
        return await conn.fetchrow("SELECT first_name, version FROM children WHERE id = $1",
                                   child_id)


async def test_a_late_or_repeated_event_never_overwrites_a_newer_state(
        reservations: Reservations) -> None:
    family_id, child_id = uuid.uuid4(), uuid.uuid4()
    created = child_event(ChildCreated, child_id, family_id, 1, "Lina")
    renamed = child_event(ChildUpdated, child_id, family_id, 3, "Lina-Rose")
    stale = child_event(ChildUpdated, child_id, family_id, 2, "Ancien prénom")

    await publish(created, renamed)
    await eventually(lambda: _is(reservations, child_id, 3))
    await publish(stale, created, renamed)  # late, then repeated (the same event ids)
    await eventually(lambda: _processed(reservations, [stale.id]))

    row = await child_row(reservations, child_id)
    assert (row["first_name"], row["version"]) == ("Lina-Rose", 3)


async def test_the_family_follows_its_newest_event(reservations: Reservations) -> None:
    family_id = uuid.uuid4()
    newer = FamilyUpdated(family_id=family_id, name="Famille Nouvelle", email="n@example.org",
                          address=None, qf=500, entity_version=5).envelope(producer="families")
    older = FamilyUpdated(family_id=family_id, name="Famille Ancienne", email="a@example.org",
                          address=None, qf=500, entity_version=4).envelope(producer="families")

    await publish(newer, older)
    await eventually(lambda: _processed(reservations, [newer.id, older.id]))

    async with reservations.db.acquire() as conn:
        row = await conn.fetchrow("SELECT name, email, version FROM families WHERE id = $1",
                                  family_id)
    assert tuple(row) == ("Famille Nouvelle", "n@example.org", 5)


async def test_a_child_of_two_households_books_in_each_on_its_own(
        reservations: Reservations, catalogue: Catalogue) -> None:
    first, second, child_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await publish(child_event(ChildCreated, child_id, first, 1, "Noé"),
                  child_event(ChildUpdated, child_id, second, 2, "Noé"))
    await eventually(lambda: _is(reservations, child_id, 2))
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    mother, father = Family(first, [child_id]), Family(second, [child_id])

    booked = await reservations.book(mother, catalogue, [(day, "JOURNEE")])
    other_day = await reservations.book(father, catalogue,
                                        [(day + timedelta(days=1), "JOURNEE")])
    same_day = await reservations.book(father, catalogue, [(day, "JOURNEE")])

    assert (booked.status, other_day.status) == (201, 201)
    assert same_day.status == 422
    assert same_day.fields["lines.0"].endswith(
        "Ce jour est déjà réservé par l'autre foyer de l'enfant.")
    # Each household sees only its own reservations.
    mine = await reservations.ok("GET", f"/families/{first}/reservations",
                                 headers=parent(first))
    theirs = await reservations.ok("GET", f"/families/{second}/reservations",
                                   headers=parent(second))
    assert [r["number"] for r in mine["items"]] == [booked.body["number"]]
    assert [r["number"] for r in theirs["items"]] == [other_day.body["number"]]
    planning = await reservations.ok(
        "GET", f"/families/{second}/planning?child_id={child_id}"
               f"&period_id={catalogue.period['id']}&month={day:%Y-%m}", headers=parent(second))
    cell = next(c for d in planning["days"] if d["date"] == day.isoformat()
                for c in d["cells"] if c["unit_id"] == catalogue.unit("JOURNEE"))
    assert (cell["state"], cell["line_id"]) == ("other_household", None)


async def _is(reservations: Reservations, child_id: Any, version: int) -> bool:
    row = await child_row(reservations, uuid.UUID(str(child_id)))
    return row is not None and row["version"] == version


async def _processed(reservations: Reservations, event_ids: list[uuid.UUID]) -> bool:
    async with reservations.db.acquire() as conn:
        done = await conn.fetchval(
            "SELECT count(*) FROM processed_events WHERE event_id = ANY($1::uuid[])", event_ids)
    return bool(done >= len(set(event_ids)))
