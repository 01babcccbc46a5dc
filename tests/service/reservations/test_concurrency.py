"""Never more accepted lines than places, whatever the concurrency: 200 families submit at
once for the last 10 places of a day."""

import asyncio
import uuid
from datetime import date

from tests.service.reservations.helpers import Catalogue, Reservations, next_weekday

CAPACITY = 12
ALREADY = 2  # places taken before the rush: the rush competes for the last 10
RUSH = 200


async def test_200_concurrent_submissions_on_the_last_10_places(
        reservations: Reservations, catalogue: Catalogue) -> None:
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": CAPACITY}]})
    for _ in range(ALREADY):
        early = await reservations.family(8)
        assert (await reservations.book(early, catalogue, [(day, "JOURNEE")])).status == 201
    families = [await reservations.family(8) for _ in range(RUSH)]

    answers = await asyncio.gather(*[
        reservations.book(family, catalogue, [(day, "JOURNEE")]) for family in families])

    assert {a.status for a in answers} == {201}
    states = [a.body["lines"][0]["state"] for a in answers]
    assert states.count("accepted") == CAPACITY - ALREADY
    assert states.count("waiting") == RUSH - (CAPACITY - ALREADY)
    # In the database: the counter is full, exactly that many live places, and the waiting
    # lines are queued in the order they were decided (each under the cell's lock).
    period_id, unit_id = uuid.UUID(catalogue.period["id"]), uuid.UUID(catalogue.unit("JOURNEE"))
    async with reservations.db.acquire() as conn:
        cell = await conn.fetchrow(
            "SELECT taken, queue_seq FROM cells WHERE period_id = $1 AND unit_id = $2 "
            "AND day = $3", period_id, unit_id, day)
        accepted = await conn.fetchval(
            "SELECT count(*) FROM lines WHERE period_id = $1 AND unit_id = $2 AND day = $3 "
            "AND state = 'accepted'", period_id, unit_id, day)
        waiting = await conn.fetch(
            "SELECT id, queue_seq, created_at FROM lines WHERE period_id = $1 AND unit_id = $2 "
            "AND day = $3 AND state = 'waiting' ORDER BY created_at", period_id, unit_id, day)
        last_accepted = await conn.fetchval(
            "SELECT max(created_at) FROM lines WHERE period_id = $1 AND unit_id = $2 "
            "AND day = $3 AND state = 'accepted'", period_id, unit_id, day)
    assert (cell["taken"], accepted) == (CAPACITY, CAPACITY)
    assert [w["queue_seq"] for w in waiting] == list(range(1, RUSH - CAPACITY + ALREADY + 1))
    assert cell["queue_seq"] == len(waiting)
    assert last_accepted < waiting[0]["created_at"]
    # Each parent is told their own position, and positions are exactly 1…190.
    positions = sorted(a.body["lines"][0]["position"] for a in answers
                       if a.body["lines"][0]["state"] == "waiting")
    assert positions == list(range(1, len(waiting) + 1))
