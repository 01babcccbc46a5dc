"""Previews and submissions: each line decided now by the rules and the places left, numbers,
idempotency, siblings « tout ou rien », cancellation requests, list and detail."""

import asyncio
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from services.common.dates import PARIS
from tests.service.reservations.helpers import (
    Catalogue,
    EventLog,
    Reservations,
    next_weekday,
    staff,
)


def first_day(catalogue: Catalogue) -> date:
    return next_weekday(date.fromisoformat(catalogue.period["start_date"]))


def at_paris(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=PARIS).replace(
        hour=hour).astimezone(UTC)


async def set_capacity(reservations: Reservations, catalogue: Catalogue, day: date, code: str,
                       capacity: int) -> None:
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit(code), "date": day.isoformat(),
                   "capacity": capacity}]})


async def test_a_booking_is_numbered_accepted_and_announced(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)

    answer = await reservations.book(family, catalogue, [(day, "JOURNEE"), (day, "REPAS")])

    assert answer.status == 201
    reservation = answer.body
    assert re.fullmatch(rf"R-{date.today().year}-\d{{6}}", reservation["number"])
    assert reservation["state"] == "accepted"
    assert [(x["unit_label"], x["state"]) for x in reservation["lines"]] == [
        ("Journée", "accepted"), ("Repas", "accepted")]
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1
    submitted = await events.wait_for("reservations.reservation_submitted",
                                      lambda d: d["number"] == reservation["number"])
    data = submitted[0].data
    assert data["family_id"] == str(family.id)
    assert data["email"].startswith("famille.")
    assert [(x["state"], x["billable"], x["entity_version"]) for x in data["lines"]] == [
        ("accepted", True, 1), ("accepted", True, 1)]
    detail = await reservations.ok("GET", f"{family.path}/reservations/{reservation['number']}",
                                   headers=family.headers())
    assert detail == reservation


async def test_numbers_follow_each_other(reservations: Reservations,
                                         catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)

    first = await reservations.book(family, catalogue, [(day, "REPAS")])
    second = await reservations.book(family, catalogue, [(day + timedelta(days=1), "REPAS")])

    assert int(second.body["number"][-6:]) > int(first.body["number"][-6:])


async def test_journee_and_matin_the_same_day_are_refused_and_nothing_is_written(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    before = await reservations.counts()

    answer = await reservations.book(family, catalogue, [(day, "JOURNEE"), (day, "MATIN")])

    assert answer.status == 422
    assert answer.body["title"] == "Certains jours ne peuvent pas être demandés."
    assert list(answer.fields.values()) == [
        f"Enfant1, lundi {day.day} {answer.fields['lines.1'].split(' ')[3]} {day.year}, "
        "Matin : Matin et Journée ne peuvent pas être réservés le même jour."]
    assert await reservations.counts() == before


async def test_late_days_are_requests_and_full_days_wait(reservations: Reservations,
                                                         catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    later = day + timedelta(days=7)
    await set_capacity(reservations, catalogue, later, "REPAS", 0)
    reservations.clock.set(at_paris(day - timedelta(days=4), 10))

    answer = await reservations.book(family, catalogue,
                                     [(day, "JOURNEE"), (later, "JOURNEE"), (later, "REPAS")])

    assert answer.status == 201, answer.body
    assert [(x["date"], x["state"], x["position"]) for x in answer.body["lines"]] == [
        (day.isoformat(), "requested", None), (later.isoformat(), "accepted", None),
        (later.isoformat(), "waiting", 1)]
    assert answer.body["state"] == "pending"
    # A requested line holds its place until staff decide.
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1


async def test_the_preview_says_what_each_line_would_get(reservations: Reservations,
                                                         catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    other = await reservations.family(8)
    day = first_day(catalogue)
    await set_capacity(reservations, catalogue, day, "REPAS", 1)
    await reservations.book(other, catalogue, [(day, "REPAS")])
    before = await reservations.counts()

    answer = await reservations.ok("POST", f"{family.path}/reservations/preview",
                                   headers=family.headers(), json={
        "child_id": str(family.child), "period_id": catalogue.period["id"], "lines": [
            {"date": day.isoformat(), "unit_id": catalogue.unit("JOURNEE")},
            {"date": day.isoformat(), "unit_id": catalogue.unit("APREM")},
            {"date": day.isoformat(), "unit_id": catalogue.unit("REPAS")}]})

    assert [(x["unit_label"], x["outcome"], x["position"]) for x in answer["lines"]] == [
        ("Journée", "accepted", None), ("Après-midi", "impossible", None),
        ("Repas", "waiting", 1)]
    assert answer["lines"][1]["reason"] == (
        "Après-midi et Journée ne peuvent pas être réservés le même jour.")
    assert await reservations.counts() == before


async def test_the_same_idempotency_key_gives_the_same_reservation(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    key = uuid.uuid4().hex

    first = await reservations.book(family, catalogue, [(day, "REPAS")], key=key)
    again = await reservations.book(family, catalogue, [(day, "REPAS")], key=key)

    assert (first.status, again.status) == (201, 200)
    assert again.body == first.body
    other = await reservations.book(family, catalogue, [(day, "JOURNEE")], key=key)
    assert other.status == 422
    assert other.body["title"].startswith("Cette clé d'idempotence a déjà servi")


async def test_concurrent_submissions_with_one_key_make_one_reservation(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    key = uuid.uuid4().hex

    answers = await asyncio.gather(*[
        reservations.book(family, catalogue, [(day, "JOURNEE"), (day, "REPAS")], key=key)
        for _ in range(10)])

    assert sorted(a.status for a in answers) == [200] * 9 + [201]
    assert len({a.body["number"] for a in answers}) == 1
    async with reservations.db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reservations WHERE family_id = $1",
                                   family.id) == 1
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1


async def test_siblings_all_or_nothing_takes_no_place_unless_all_fit(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8, 6)
    older, younger = family.children
    day = first_day(catalogue)
    await set_capacity(reservations, catalogue, day, "JOURNEE", 1)
    lines = [{"date": day.isoformat(), "unit_id": catalogue.unit("JOURNEE"),
              "child_id": str(child)} for child in (older, younger)]

    together = await reservations.call("POST", f"{family.path}/reservations",
                                       headers=family.headers(), json={
        "child_id": str(older), "period_id": catalogue.period["id"], "lines": lines,
        "all_or_nothing": True})

    assert together.status == 201
    assert together.body["state"] == "refused"
    assert [x["state"] for x in together.body["lines"]] == ["refused", "refused"]
    assert together.body["lines"][0]["comment"].startswith("« Tout ou rien » : ")
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 0

    each = await reservations.call("POST", f"{family.path}/reservations",
                                   headers=family.headers(), json={
        "child_id": str(older), "period_id": catalogue.period["id"], "lines": lines})
    assert each.body["state"] == "partial"
    assert sorted(x["state"] for x in each.body["lines"]) == ["accepted", "waiting"]
    assert {x["child_id"] for x in each.body["lines"]} == {str(older), str(younger)}


async def test_siblings_both_fit_all_or_nothing(reservations: Reservations,
                                                catalogue: Catalogue) -> None:
    family = await reservations.family(8, 6)
    day = first_day(catalogue)

    answer = await reservations.call("POST", f"{family.path}/reservations",
                                     headers=family.headers(), json={
        "child_id": str(family.children[0]), "period_id": catalogue.period["id"],
        "all_or_nothing": True, "lines": [
            {"date": day.isoformat(), "unit_id": catalogue.unit("JOURNEE"), "child_id": str(c)}
            for c in family.children]})

    assert answer.body["state"] == "accepted"
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 2


async def test_another_familys_child_cannot_be_named_in_a_line(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    other = await reservations.family(8)
    before = await reservations.counts()

    answer = await reservations.call("POST", f"{family.path}/reservations",
                                     headers=family.headers(), json={
        "child_id": str(family.child), "period_id": catalogue.period["id"], "lines": [
            {"date": first_day(catalogue).isoformat(), "unit_id": catalogue.unit("REPAS"),
             "child_id": str(other.child)}]})

    assert answer.status == 404
    assert await reservations.counts() == before


async def test_a_cancellation_is_a_new_reservation_that_frees_the_place(
        reservations: Reservations, catalogue: Catalogue, events: EventLog) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    booked = (await reservations.book(family, catalogue, [(day, "JOURNEE")])).body

    cancel = await reservations.book(family, catalogue, [(day, "JOURNEE")], kind="cancel")

    assert cancel.status == 201
    assert cancel.body["number"] != booked["number"]
    assert (cancel.body["kind"], cancel.body["state"]) == ("cancel", "cancelled")
    assert cancel.body["lines"][0]["cancels_line_id"] == booked["lines"][0]["id"]
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 0
    original = await reservations.ok("GET", f"{family.path}/reservations/{booked['number']}",
                                     headers=family.headers())
    assert (original["state"], original["lines"][0]["state"]) == ("cancelled", "cancelled")
    gone = await events.wait_for("reservations.cancelled",
                                 lambda d: d["line"]["line_id"] == booked["lines"][0]["id"])
    assert gone[0].data["line"]["entity_version"] == 2
    assert gone[0].data["line"]["billable"] is False
    assert gone[0].data["by_reservation_number"] == cancel.body["number"]


async def test_a_late_cancellation_is_a_request_and_a_too_late_one_impossible(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    await reservations.book(family, catalogue, [(day, "JOURNEE"), (day, "REPAS")])
    reservations.clock.set(at_paris(day - timedelta(days=3), 9))

    late = await reservations.book(family, catalogue, [(day, "JOURNEE")], kind="cancel")

    assert late.body["state"] == "cancel_requested"
    assert (late.body["lines"][0]["state"], late.body["lines"][0]["late"]) == ("requested", True)
    assert (await reservations.cell(catalogue, day, "JOURNEE"))["taken"] == 1
    twice = await reservations.book(family, catalogue, [(day, "JOURNEE")], kind="cancel")
    assert twice.status == 422
    assert twice.fields["lines.0"].endswith(
        "Une demande d'annulation est déjà en cours pour ce jour.")
    reservations.clock.set(at_paris(day - timedelta(days=1), 9))
    too_late = await reservations.book(family, catalogue, [(day, "REPAS")], kind="cancel")
    assert too_late.status == 422
    assert "Trop tard : ce jour ne pouvait être annulé que jusqu'au " in too_late.fields["lines.0"]


async def test_a_submission_from_the_selection_empties_it(reservations: Reservations,
                                                          catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    base = {"child_id": str(family.child), "period_id": catalogue.period["id"]}
    await reservations.ok("POST", f"{family.path}/selection", headers=family.headers(), json={
        **base, "action": "add", "lines": [
            {"date": day.isoformat(), "unit_id": catalogue.unit("MATIN")},
            {"date": day.isoformat(), "unit_id": catalogue.unit("REPAS")}]})

    answer = await reservations.call("POST", f"{family.path}/reservations",
                                     headers=family.headers(), json=base)

    assert answer.status == 201
    assert [x["unit_label"] for x in answer.body["lines"]] == ["Matin", "Repas"]
    selection = await reservations.ok(
        "GET", f"{family.path}/selection?child_id={family.child}"
               f"&period_id={catalogue.period['id']}", headers=family.headers())
    assert selection["items"] == []
    empty = await reservations.call("POST", f"{family.path}/reservations",
                                    headers=family.headers(), json=base)
    assert (empty.status, empty.body["title"]) == (422, "Aucun jour n'est sélectionné.")


async def test_the_list_is_newest_first_in_keyset_pages(reservations: Reservations,
                                                        catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    numbers = []
    for i in range(5):
        answer = await reservations.book(family, catalogue,
                                         [(next_weekday(day, i + 1), "REPAS")])
        numbers.append(answer.body["number"])

    seen: list[str] = []
    cursor = ""
    while True:
        page = await reservations.ok("GET", f"{family.path}/reservations?limit=2&cursor={cursor}",
                                     headers=family.headers())
        seen += [r["number"] for r in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]

    assert seen == list(reversed(numbers))
    staff_view = await reservations.ok("GET", f"{family.path}/reservations", headers=staff())
    assert len(staff_view["items"]) == 5
