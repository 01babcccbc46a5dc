"""The lottery (« tirage au sort », issue 13): requests before the deadline wait for the
draw holding no place; one draw, seeded and recorded, orders them per family and allocates
them with the first-come rules and counters; the rest queue with their positions; every
family that took part hears once; later requests come after the drawn ones."""

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.reservations.catalogue.service import Actor
from services.reservations.lottery import service as lottery
from tests.service.reservations.helpers import (
    STAFF_SUB,
    Catalogue,
    EventLog,
    Family,
    Reservations,
    next_weekday,
    staff,
)

HOUR = timedelta(hours=1)


async def lottery_period(reservations: Reservations, places: int
                         ) -> tuple[Catalogue, date, datetime]:
    """A lottery period whose requests are drawn from an hour from now, and a day with
    `places` Journée places."""
    deadline = datetime.now(UTC) + HOUR
    catalogue = await reservations.catalogue(allocation="lottery",
                                             draw_at=deadline.isoformat())
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": places}]})
    return catalogue, day, deadline


async def families_asking(reservations: Reservations, catalogue: Catalogue, day: date,
                          count: int) -> list[Family]:
    families = [await reservations.family(8) for _ in range(count)]
    for family in families:
        answer = await reservations.book(family, catalogue, [(day, "JOURNEE")])
        assert answer.status == 201, answer.body
    return families


async def outcome(reservations: Reservations, family: Family) -> tuple[str, int | None]:
    """The family's one line: (state, waiting position)."""
    found = await reservations.ok("GET", f"{family.path}/reservations",
                                  headers=family.headers())
    line = found["items"][0]["lines"][0]
    return line["state"], line["position"]


async def draw(reservations: Reservations, catalogue: Catalogue) -> Any:
    return await reservations.call("POST", f"/periods/{catalogue.period['id']}/draw",
                                   headers=staff())


async def test_a_request_before_the_draw_waits_for_it_holding_no_place(
        reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    family = await reservations.family(8)

    preview = await reservations.ok("POST", f"{family.path}/reservations/preview",
                                    headers=family.headers(), json={
        "child_id": str(family.child), "period_id": catalogue.period["id"],
        "lines": [{"date": day.isoformat(), "unit_id": catalogue.unit("JOURNEE")}]})
    answer = await reservations.book(family, catalogue, [(day, "JOURNEE")])

    assert preview["lines"][0]["outcome"] == "drawing"
    assert answer.status == 201
    assert answer.body["state"] == "drawing"
    line = answer.body["lines"][0]
    assert line["state"] == "drawing"
    assert "tirage au sort" in line["comment"] and str(deadline.year) in line["comment"]
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 0
    state = await reservations.ok("GET", f"/periods/{catalogue.period['id']}/draw")
    assert state["pending"] == {"reservations": 1, "lines": 1, "families": 1,
                                "families_in_draw": 1}
    assert state["draw"] is None


async def test_the_draw_fills_the_places_and_queues_the_rest_in_draw_order(
        reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=2)
    families = await families_asking(reservations, catalogue, day, 5)
    reservations.clock.set(deadline + HOUR)

    answer = await draw(reservations, catalogue)

    assert answer.status == 200, answer.body
    cell = await reservations.cell(catalogue, day, "JOURNEE")
    assert (cell["taken"], cell["capacity"]) == (2, 2)
    outcomes = {f.id: await outcome(reservations, f) for f in families}
    assert sorted(outcomes.values(), key=str) == sorted(
        [("accepted", None)] * 2 + [("waiting", 1), ("waiting", 2), ("waiting", 3)], key=str)
    record = answer.body["draw"]
    assert record["drawn_by"] == STAFF_SUB and record["seed"] and record["reproducible"]
    assert record["algorithm"].startswith("tirage-v1")
    order = [uuid.UUID(e["family_id"]) for e in record["entries"]]
    # The waiting list follows the draw: accepted first, then positions 1, 2, 3.
    assert [outcomes[f] for f in order] == [("accepted", None)] * 2 + [
        ("waiting", 1), ("waiting", 2), ("waiting", 3)]
    journee = next(r for r in record["results"] if r["unit_label"] == "Journée")
    assert (journee["accepted"], journee["waiting"]) == (2, 3)
    async with reservations.db.acquire() as conn:
        audited = await conn.fetchrow(
            "SELECT actor_sub, details FROM audit_entries WHERE action = 'period.drawn' "
            "AND target_id = $1", uuid.UUID(catalogue.period["id"]))
    assert audited["actor_sub"] == STAFF_SUB and audited["details"]["seed"] == record["seed"]


async def test_every_family_that_took_part_is_told_once(
        reservations: Reservations, events: EventLog) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    families = await families_asking(reservations, catalogue, day, 3)
    sibling = await reservations.family(9, 7)  # two children, one request each
    for child in sibling.children:
        booked = await reservations.book(sibling, catalogue, [(day, "REPAS")], child=child)
        assert booked.status == 201
    reservations.clock.set(deadline + HOUR)

    assert (await draw(reservations, catalogue)).status == 200

    period_id = catalogue.period["id"]
    told = await events.wait_for("reservations.lottery_drawn",
                                 lambda d: d["period_id"] == period_id, count=4)
    assert sorted(str(e.data["family_id"]) for e in told) == sorted(
        str(f.id) for f in [*families, sibling])
    mine = next(e for e in told if e.data["family_id"] == str(sibling.id))
    assert [x["state"] for x in mine.data["lines"]] == ["accepted", "accepted"]
    waiting = [x for e in told for x in e.data["lines"] if x["state"] == "waiting"]
    assert sorted(x["waiting_position"] for x in waiting) == [1, 2]
    decided = await events.wait_for(
        "reservations.line_decided",
        lambda d: d["line"]["period_id"] == period_id and d["previous_state"] == "drawing",
        count=5)
    assert len(decided) == 5


async def test_the_draw_replays_from_its_recorded_seed(reservations: Reservations) -> None:
    """Two identical periods, the same families asking in the same order: the second, drawn
    with the first one's recorded seed, gives every family the same outcome."""
    first, day, deadline = await lottery_period(reservations, places=2)
    second, _, _ = await lottery_period(reservations, places=2)
    families = [await reservations.family(8) for _ in range(6)]
    for catalogue in (first, second):
        for family in families:
            assert (await reservations.book(family, catalogue, [(day, "JOURNEE")])).status == 201
    reservations.clock.set(deadline + HOUR)
    drawn = (await draw(reservations, first)).body["draw"]

    async with reservations.db.acquire() as conn:
        again = await lottery.draw(conn, period_id=uuid.UUID(second.period["id"]),
                                   actor=Actor(sub="auditor", role="staff"),
                                   now=deadline + HOUR, seed=drawn["seed"])

    assert again.draw is not None and again.draw.reproducible
    assert [str(e.family_id) for e in again.draw.entries] == [
        e["family_id"] for e in drawn["entries"]]
    for family in families:
        found = await reservations.ok("GET", f"{family.path}/reservations",
                                      headers=family.headers())
        by_period = {r["period"]["id"]: (r["lines"][0]["state"], r["lines"][0]["position"])
                     for r in found["items"]}
        assert by_period[first.period["id"]] == by_period[second.period["id"]]


def test_the_order_is_a_pure_function_of_the_seed_and_the_requests() -> None:
    at = datetime(2027, 3, 1, 9, tzinfo=UTC)
    entries = [lottery.Entry(uuid.uuid4(), f"R-2027-{i:06d}", uuid.uuid4(), at + i * HOUR)
               for i in range(20)]
    shuffled = random.sample(entries, len(entries))

    once = lottery.draw_order("graine", entries, at + 30 * HOUR)
    twice = lottery.draw_order("graine", shuffled, at + 30 * HOUR)
    other = lottery.draw_order("autre graine", entries, at + 30 * HOUR)

    assert once == twice
    assert [e for e, _ in once] != [e for e, _ in other]


async def test_a_double_click_draws_once(reservations: Reservations, events: EventLog
                                         ) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    await families_asking(reservations, catalogue, day, 3)
    reservations.clock.set(deadline + HOUR)

    answers = await asyncio.gather(*(draw(reservations, catalogue) for _ in range(3)))

    assert sorted(a.status for a in answers) == [200, 409, 409]
    refused = next(a for a in answers if a.status == 409)
    assert refused.body["title"] == "Le tirage au sort de cette période a déjà eu lieu."
    period_id = uuid.UUID(catalogue.period["id"])
    async with reservations.db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM draws WHERE period_id = $1",
                                   period_id) == 1
        assert await conn.fetchval(
            "SELECT count(*) FROM audit_entries WHERE action = 'period.drawn' "
            "AND target_id = $1", period_id) == 1
    await events.wait_for("reservations.lottery_drawn",
                          lambda d: d["period_id"] == str(period_id), count=3)
    await asyncio.sleep(0.3)
    assert len(events.of("reservations.lottery_drawn",
                         lambda d: d["period_id"] == str(period_id))) == 3


async def test_a_request_after_the_deadline_comes_after_the_drawn_ones(
        reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    early = await families_asking(reservations, catalogue, day, 3)
    reservations.clock.set(deadline + HOUR / 2)
    late = await reservations.family(8)
    answer = await reservations.book(late, catalogue, [(day, "JOURNEE")])
    assert answer.body["lines"][0]["state"] == "drawing"
    assert "après la date limite" in answer.body["lines"][0]["comment"]
    reservations.clock.set(deadline + HOUR)

    record = (await draw(reservations, catalogue)).body["draw"]

    assert [e["drawn"] for e in record["entries"]] == [True, True, True, False]
    assert record["entries"][-1]["family_id"] == str(late.id)
    assert await outcome(reservations, late) == ("waiting", 3)
    assert sorted([await outcome(reservations, f) for f in early], key=str) == sorted(
        [("accepted", None), ("waiting", 1), ("waiting", 2)], key=str)
    # After the draw, the period is first-come again: a new request queues at once.
    newcomer = await reservations.family(8)
    after = await reservations.book(newcomer, catalogue, [(day, "JOURNEE")])
    assert after.body["lines"][0]["state"] == "waiting"
    assert after.body["lines"][0]["position"] == 4


async def test_no_draw_before_the_deadline_and_nothing_written(
        reservations: Reservations) -> None:
    catalogue, day, _ = await lottery_period(reservations, places=1)
    await families_asking(reservations, catalogue, day, 1)
    before = await reservations.counts()

    answer = await draw(reservations, catalogue)

    assert answer.status == 409
    assert "après la date limite" in answer.body["title"]
    assert await reservations.counts() == before


async def test_a_first_come_period_is_unchanged_and_has_no_draw(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))

    answer = await reservations.book(family, catalogue, [(day, "JOURNEE")])

    assert answer.body["state"] == "accepted"
    assert catalogue.period["allocation"] == "fcfs" and catalogue.period["draw_at"] is None
    refused = await draw(reservations, catalogue)
    assert refused.status == 409
    assert refused.body["title"].startswith("Cette période attribue ses places au premier")


async def test_a_lottery_needs_its_deadline_and_keeps_it_once_drawn(
        reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    path = f"/periods/{catalogue.period['id']}"
    no_deadline = await reservations.call("PATCH", path, headers=staff(),
                                          json={"draw_at": None})
    assert no_deadline.status == 422
    await families_asking(reservations, catalogue, day, 1)
    to_fcfs = await reservations.call("PATCH", path, headers=staff(),
                                      json={"allocation": "fcfs"})
    assert to_fcfs.status == 422
    assert "attendent le tirage" in str(to_fcfs.body)
    reservations.clock.set(deadline + HOUR)
    assert (await draw(reservations, catalogue)).status == 200
    moved = await reservations.call("PATCH", path, headers=staff(), json={
        "draw_at": (deadline + 3 * HOUR).isoformat()})
    assert moved.status == 422
    assert "a eu lieu" in str(moved.body)


async def test_the_command_draws_the_periods_due_once(reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    family = (await families_asking(reservations, catalogue, day, 1))[0]
    period_id = uuid.UUID(catalogue.period["id"])

    early = await lottery.draw_due(reservations.db, now=deadline - HOUR / 2)
    first = await lottery.draw_due(reservations.db, now=deadline + HOUR)
    again = await lottery.draw_due(reservations.db, now=deadline + 2 * HOUR)

    assert period_id not in early
    assert period_id in first and period_id not in again
    assert await outcome(reservations, family) == ("accepted", None)
    record = await reservations.ok("GET", f"/periods/{period_id}/draw")
    assert record["draw"]["drawn_by"] == "system"


async def test_a_request_awaiting_the_draw_can_be_withdrawn_and_stays_out_of_it(
        reservations: Reservations) -> None:
    catalogue, day, deadline = await lottery_period(reservations, places=1)
    leaving, staying = await families_asking(reservations, catalogue, day, 2)

    withdrawn = await reservations.book(leaving, catalogue, [(day, "JOURNEE")], kind="cancel")
    reservations.clock.set(deadline + HOUR)
    record = (await draw(reservations, catalogue)).body["draw"]

    assert withdrawn.status == 201 and withdrawn.body["state"] == "cancelled"
    assert [e["family_id"] for e in record["entries"]] == [str(staying.id)]
    assert await outcome(reservations, staying) == ("accepted", None)
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1


async def test_a_lottery_without_a_deadline_is_not_drawn(reservations: Reservations) -> None:
    """A period made a lottery before deadlines existed (no `draw_at`): a French refusal."""
    catalogue, _, _ = await lottery_period(reservations, places=1)
    async with reservations.db.acquire() as conn:
        await conn.execute("UPDATE periods SET draw_at = NULL WHERE id = $1",
                           uuid.UUID(catalogue.period["id"]))

    answer = await draw(reservations, catalogue)

    assert answer.status == 409
    assert answer.body["title"].startswith("Indiquez d'abord la date limite du tirage")
