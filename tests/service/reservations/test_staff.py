"""Staff: the requests queue (oldest first), a decision per line with a comment (places
re-checked; a refusal frees the place for the waiting list), late cancellations, attendance."""

import uuid
from datetime import UTC, date, datetime, timedelta

from services.common.dates import PARIS
from tests.service.reservations.helpers import (
    STAFF_SUB,
    Catalogue,
    EventLog,
    Reservations,
    next_weekday,
    staff,
)


def first_day(catalogue: Catalogue) -> date:
    return next_weekday(date.fromisoformat(catalogue.period["start_date"]))


def late_for(day: date) -> datetime:
    """Four days before: inside the request window (auto 7 days, requests 2)."""
    return datetime.combine(day - timedelta(days=4), datetime.min.time(),
                            tzinfo=PARIS).replace(hour=10).astimezone(UTC)


async def test_the_queue_is_oldest_first_and_decisions_are_told(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day = first_day(catalogue)
    reservations.clock.set(late_for(day))
    families = [await reservations.family(8) for _ in range(3)]
    lines = [(await reservations.book(f, catalogue, [(day, "JOURNEE")])).body["lines"][0]
             for f in families]
    assert {x["state"] for x in lines} == {"requested"}

    seen: list[str] = []
    cursor = ""
    while True:
        page = await reservations.ok(
            "GET", f"/requests?period_id={catalogue.period['id']}&limit=2&cursor={cursor}")
        seen += [x["line_id"] for x in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert seen == [x["id"] for x in lines]
    first = (await reservations.ok("GET", f"/requests?period_id={catalogue.period['id']}"))
    assert first["items"][0]["first_name"] == "Enfant1"
    assert (first["items"][0]["capacity"], first["items"][0]["taken"]) == (20, 3)

    accepted = await reservations.ok("POST", f"/lines/{lines[0]['id']}/decision",
                                     json={"decision": "accept"})
    refused = await reservations.ok("POST", f"/lines/{lines[1]['id']}/decision", json={
        "decision": "refuse", "comment": "Groupe complet pour les sorties."})

    assert (accepted["state"], accepted["reservation_state"]) == ("accepted", "accepted")
    assert (refused["state"], refused["comment"]) == ("refused", "Groupe complet pour les sorties.")
    assert refused["decided_by"] == STAFF_SUB
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 2
    again = await reservations.call("POST", f"/lines/{lines[1]['id']}/decision", headers=staff(),
                                    json={"decision": "accept"})
    assert (again.status, again.body["title"]) == (409, "Cette demande a déjà été traitée.")
    told = await events.wait_for("reservations.line_decided",
                                 lambda d: d["line"]["line_id"] == lines[1]["id"])
    assert told[0].data["line"]["comment"] == "Groupe complet pour les sorties."
    assert told[0].data["previous_state"] == "requested"
    assert told[0].data["line"]["entity_version"] == 2


async def test_a_lowered_capacity_is_rechecked_on_acceptance(
        reservations: Reservations, catalogue: Catalogue) -> None:
    day = first_day(catalogue)
    reservations.clock.set(late_for(day))
    family, other = await reservations.family(8), await reservations.family(8)
    line = (await reservations.book(family, catalogue, [(day, "JOURNEE")])).body["lines"][0]
    await reservations.book(other, catalogue, [(day, "JOURNEE")])
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 1}]})

    answer = await reservations.call("POST", f"/lines/{line['id']}/decision", headers=staff(),
                                     json={"decision": "accept"})

    assert answer.status == 409
    assert answer.body["title"].startswith("Plus de place disponible ce jour-là")


async def test_a_refusal_frees_the_place_for_the_first_in_line(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day = first_day(catalogue)
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 1}]})
    reservations.clock.set(late_for(day))
    requester, waiter = await reservations.family(8), await reservations.family(8)
    requested = (await reservations.book(requester, catalogue, [(day, "JOURNEE")])).body
    waiting = (await reservations.book(waiter, catalogue, [(day, "JOURNEE")])).body
    assert (requested["lines"][0]["state"], waiting["lines"][0]["state"]) == (
        "requested", "waiting")

    await reservations.ok("POST", f"/lines/{requested['lines'][0]['id']}/decision",
                          json={"decision": "refuse", "comment": "Dossier incomplet."})

    await events.wait_for("reservations.waitlist_offered",
                          lambda d: d["line"]["line_id"] == waiting["lines"][0]["id"])


async def test_an_accepted_late_cancellation_is_billable_when_the_period_says_so(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    day = first_day(catalogue)
    family = await reservations.family(8)
    booked = (await reservations.book(family, catalogue, [(day, "JOURNEE")])).body
    reservations.clock.set(late_for(day))
    cancel = (await reservations.book(family, catalogue, [(day, "JOURNEE")],
                                      kind="cancel")).body
    queue = await reservations.ok("GET", f"/requests?period_id={catalogue.period['id']}")
    assert [(x["kind"], x["cancels_line_id"]) for x in queue["items"]] == [
        ("cancel", booked["lines"][0]["id"])]

    decided = await reservations.ok("POST", f"/lines/{cancel['lines'][0]['id']}/decision",
                                    json={"decision": "accept"})

    assert decided["reservation_state"] == "cancelled"
    gone = await events.wait_for("reservations.cancelled",
                                 lambda d: d["line"]["line_id"] == booked["lines"][0]["id"])
    line = gone[0].data["line"]
    assert (line["state"], line["late"], line["billable"]) == ("cancelled", True, True)
    assert gone[0].data["by_reservation_number"] == cancel["number"]
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 0


async def test_attendance_lists_the_children_expected(reservations: Reservations,
                                                      catalogue: Catalogue) -> None:
    day = first_day(catalogue)
    present, cancelled = await reservations.family(8), await reservations.family(6)
    await reservations.book(present, catalogue, [(day, "JOURNEE"), (day, "REPAS")])
    await reservations.book(cancelled, catalogue, [(day, "JOURNEE")])
    await reservations.book(cancelled, catalogue, [(day, "JOURNEE")], kind="cancel")

    answer = await reservations.ok(
        "GET", f"/attendance?establishment_id={catalogue.establishment['id']}"
               f"&date={day.isoformat()}")
    meals = await reservations.ok(
        "GET", f"/attendance?establishment_id={catalogue.establishment['id']}"
               f"&date={day.isoformat()}&unit_id={catalogue.unit('REPAS')}")

    assert [(x["child_id"], x["unit_label"]) for x in answer["items"]] == [
        (str(present.child), "Journée"), (str(present.child), "Repas")]
    assert [x["unit_label"] for x in meals["items"]] == ["Repas"]
    assert set(answer["items"][0]) == {"child_id", "first_name", "last_name", "birth_date",
                                       "family_id", "unit_id", "unit_label"}


async def test_an_unknown_line_is_404(reservations: Reservations) -> None:
    answer = await reservations.call("POST", f"/lines/{uuid.uuid4()}/decision",
                                     headers=staff(), json={"decision": "accept"})

    assert answer.status == 404
