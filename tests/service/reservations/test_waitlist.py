"""The waiting list: a freed place is offered at once to the first in line (event with a
one-time token, reply deadline); accept or decline from the portal or the e-mailed link;
silence passes it to the next; a raised capacity offers its places."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.service.reservations.helpers import (
    Catalogue,
    EventLog,
    Family,
    Reservations,
    next_weekday,
    staff,
)


async def full_day(reservations: Reservations, catalogue: Catalogue, waiting: int = 2
                   ) -> tuple[date, Family, list[Family], list[dict[str, Any]]]:
    """A day with one Journée place: its holder and `waiting` families in line."""
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 1}]})
    holder = await reservations.family(8)
    assert (await reservations.book(holder, catalogue, [(day, "JOURNEE")])).status == 201
    queue = [await reservations.family(7) for _ in range(waiting)]
    lines = [(await reservations.book(f, catalogue, [(day, "JOURNEE")])).body["lines"][0]
             for f in queue]
    assert [x["state"] for x in lines] == ["waiting"] * waiting
    return day, holder, queue, lines


async def offer_of(events: EventLog, line_id: str) -> dict[str, Any]:
    found = await events.wait_for("reservations.waitlist_offered",
                                  lambda d: d["line"]["line_id"] == line_id)
    data: dict[str, Any] = found[-1].data
    return data


async def line_state(reservations: Reservations, line_id: str) -> str:
    async with reservations.db.acquire() as conn:
        state: str = await conn.fetchval("SELECT state FROM lines WHERE id = $1",
                                         uuid.UUID(line_id))
    return state


async def test_a_cancellation_offers_the_place_to_the_first_in_line(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day, holder, queue, lines = await full_day(reservations, catalogue)

    cancel = await reservations.book(holder, catalogue, [(day, "JOURNEE")], kind="cancel")

    assert cancel.body["state"] == "cancelled"
    offer = await offer_of(events, lines[0]["id"])
    assert offer["line"]["state"] == "offered"
    assert offer["email"].startswith("famille.")
    expires = datetime.fromisoformat(offer["expires_at"])
    assert timedelta(hours=47) < expires - datetime.now(UTC) <= timedelta(hours=48)
    assert len(offer["token"]) >= 40
    async with reservations.db.acquire() as conn:
        stored = await conn.fetchval("SELECT token_hash FROM offers WHERE line_id = $1",
                                     uuid.UUID(lines[0]["id"]))
    assert offer["token"].encode() not in stored  # kept hashed only
    cell = await reservations.cell(catalogue, day, "JOURNEE")
    assert cell["taken"] == 1  # held for the offer
    first = await reservations.ok("GET", f"{queue[0].path}/reservations",
                                  headers=queue[0].headers())
    assert first["items"][0]["lines"][0]["state"] == "offered"
    second = await reservations.ok("GET", f"{queue[1].path}/reservations",
                                   headers=queue[1].headers())
    assert second["items"][0]["lines"][0]["position"] == 1


async def test_the_e_mailed_token_accepts_once(reservations: Reservations,
                                               catalogue: Catalogue, events: EventLog) -> None:
    day, holder, queue, lines = await full_day(reservations, catalogue)
    await reservations.book(holder, catalogue, [(day, "JOURNEE")], kind="cancel")
    offer = await offer_of(events, lines[0]["id"])

    answer = await reservations.call("POST", "/offers/reply",
                                     json={"token": offer["token"], "accept": True})

    assert answer.status == 200
    assert (answer.body["state"], answer.body["unit_label"]) == ("accepted", "Journée")
    assert await line_state(reservations, lines[0]["id"]) == "accepted"
    mine = await reservations.ok("GET", f"{queue[0].path}/reservations",
                                 headers=queue[0].headers())
    assert mine["items"][0]["state"] == "accepted"
    again = await reservations.call("POST", "/offers/reply",
                                    json={"token": offer["token"], "accept": False})
    assert again.status == 410
    assert again.body["title"] == (
        "Cette proposition de place n'est plus valable (déjà répondue ou expirée).")
    unknown = await reservations.call("POST", "/offers/reply",
                                      json={"token": "x" * 43, "accept": True})
    assert unknown.status == 410
    decided = await events.wait_for(
        "reservations.line_decided", lambda d: d["line"]["line_id"] == lines[0]["id"]
        and d["line"]["state"] == "accepted")
    assert decided[0].data["previous_state"] == "offered"


async def test_declining_from_the_portal_passes_the_place_on(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day, holder, queue, lines = await full_day(reservations, catalogue)
    await reservations.book(holder, catalogue, [(day, "JOURNEE")], kind="cancel")
    await offer_of(events, lines[0]["id"])

    answer = await reservations.call("POST", f"{queue[0].path}/offers/{lines[0]['id']}",
                                     headers=queue[0].headers(), json={"accept": False})

    assert answer.body["state"] == "cancelled"
    await offer_of(events, lines[1]["id"])
    assert await line_state(reservations, lines[1]["id"]) == "offered"
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1


async def test_an_expired_offer_passes_to_the_next_in_line(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day, holder, queue, lines = await full_day(reservations, catalogue)
    await reservations.book(holder, catalogue, [(day, "JOURNEE")], kind="cancel")
    offer = await offer_of(events, lines[0]["id"])

    # Time passes beyond the reply deadline; the service's own expiry task does the rest.
    reservations.clock.set(datetime.fromisoformat(offer["expires_at"]) + timedelta(minutes=1))

    await offer_of(events, lines[1]["id"])
    assert await line_state(reservations, lines[0]["id"]) == "cancelled"
    expired = await reservations.ok("GET", f"{queue[0].path}/reservations",
                                    headers=queue[0].headers())
    assert expired["items"][0]["lines"][0]["comment"] == (
        "Place proposée non confirmée dans le délai : elle est passée à la suite de la liste.")
    late = await reservations.call("POST", "/offers/reply",
                                   json={"token": offer["token"], "accept": True})
    assert late.status == 410
    async with reservations.db.acquire() as conn:
        states = await conn.fetch("SELECT state FROM offers WHERE line_id = ANY($1::uuid[]) "
                                  "ORDER BY created_at",
                                  [uuid.UUID(x["id"]) for x in lines])
    assert [s["state"] for s in states] == ["expired", "open"]


async def test_a_raised_capacity_offers_its_places(reservations: Reservations,
                                                   catalogue: Catalogue,
                                                   events: EventLog) -> None:
    day, _, _, lines = await full_day(reservations, catalogue, waiting=3)

    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 3}]})

    await offer_of(events, lines[0]["id"])
    await offer_of(events, lines[1]["id"])
    assert await line_state(reservations, lines[2]["id"]) == "waiting"
    listing = await reservations.ok(
        "GET", f"/waiting-lists?period_id={catalogue.period['id']}&date={day.isoformat()}"
               f"&unit_id={catalogue.unit('JOURNEE')}", headers=staff())
    assert [(x["line_id"], x["state"], x["position"]) for x in listing["items"]] == [
        (lines[0]["id"], "offered", None), (lines[1]["id"], "offered", None),
        (lines[2]["id"], "waiting", 1)]


async def test_the_cells_with_a_waiting_list_are_listed_with_their_counts(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day, _, _, lines = await full_day(reservations, catalogue, waiting=3)
    period = catalogue.period["id"]
    await reservations.ok("PUT", f"/periods/{period}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 2}]})
    await offer_of(events, lines[0]["id"])

    listing = await reservations.ok("GET", f"/waiting-lists/cells?period_id={period}",
                                    headers=staff())

    assert [(c["date"], c["unit_label"], c["capacity"], c["taken"], c["waiting"],
             c["offered"]) for c in listing["items"]] == [
        (day.isoformat(), "Journée", 2, 2, 2, 1)]
    assert listing["items"][0]["next_offer_expires_at"] is not None
    assert listing["truncated"] is False
    later = (day + timedelta(days=1)).isoformat()
    assert (await reservations.ok("GET", f"/waiting-lists/cells?period_id={period}"
                                         f"&since={later}", headers=staff()))["items"] == []
    other = await reservations.ok(
        "GET", f"/waiting-lists/cells?establishment_id={uuid.uuid4()}", headers=staff())
    assert other["items"] == []


async def test_a_waiting_line_withdrawn_leaves_the_queue(reservations: Reservations,
                                                         catalogue: Catalogue) -> None:
    day, _, queue, lines = await full_day(reservations, catalogue)

    withdrawn = await reservations.book(queue[0], catalogue, [(day, "JOURNEE")], kind="cancel")

    assert withdrawn.body["state"] == "cancelled"
    assert await line_state(reservations, lines[0]["id"]) == "cancelled"
    second = await reservations.ok("GET", f"{queue[1].path}/reservations",
                                   headers=queue[1].headers())
    assert second["items"][0]["lines"][0]["position"] == 1
