"""The monthly planning: every cell's state and what a click gives now, waiting positions,
deadlines, in a bounded number of statements; the periods a child may choose; the
server-side selection."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.common.dates import PARIS
from services.reservations.planning import service as planning_service
from services.reservations.planning.schemas import PlanningQuery
from tests.service.reservations.helpers import (
    Catalogue,
    Family,
    Reservations,
    next_weekday,
    quiet_monday,
    staff,
)


def first_day(catalogue: Catalogue) -> date:
    return next_weekday(date.fromisoformat(catalogue.period["start_date"]))


async def planning(reservations: Reservations, family: Family, catalogue: Catalogue,
                   day: date, kind: str = "book") -> dict[str, Any]:
    answer = await reservations.call(
        "GET", f"{family.path}/planning?child_id={family.child}"
               f"&period_id={catalogue.period['id']}&month={day:%Y-%m}&kind={kind}",
        headers=family.headers())
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def cell(body: dict[str, Any], day: date, unit_id: str) -> dict[str, Any]:
    found = next(d for d in body["days"] if d["date"] == day.isoformat())
    result: dict[str, Any] = next(c for c in found["cells"] if c["unit_id"] == unit_id)
    return result


async def test_an_open_day_is_available_and_would_be_accepted(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)

    body = await planning(reservations, family, catalogue, day)

    journee = cell(body, day, catalogue.unit("JOURNEE"))
    assert (journee["state"], journee["outcome"], journee["reason"]) == (
        "available", "accepted", None)
    deadline = datetime.fromisoformat(journee["deadline"])
    assert deadline == datetime.combine(day - timedelta(days=2), datetime.max.time(),
                                        tzinfo=PARIS).replace(microsecond=0)
    assert body["months"] == catalogue.period["months"]
    assert body["month"] == f"{day:%Y-%m}"
    assert [u["code"] for u in body["units"]] == ["JOURNEE", "MATIN", "APREM", "REPAS"]
    weekend = next(d for d in body["days"] if date.fromisoformat(d["date"]).isoweekday() == 6
                   and catalogue.period["start_date"] <= d["date"])
    assert not weekend["offered"]
    assert {c["state"] for c in weekend["cells"]} == {"not_offered"}
    assert weekend["cells"][0]["reason"] == "L'accueil est fermé ce jour-là."


async def test_each_state_shows_with_what_a_click_gives(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    booked = await reservations.book(family, catalogue, [(day, "JOURNEE")])
    assert booked.status == 201
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("REPAS"), "date": day.isoformat(),
                   "capacity": 0}]})

    body = await planning(reservations, family, catalogue, day)

    assert cell(body, day, catalogue.unit("JOURNEE"))["state"] == "reserved"
    assert cell(body, day, catalogue.unit("JOURNEE"))["outcome"] == "impossible"
    assert cell(body, day, catalogue.unit("JOURNEE"))["reason"] == "Ce jour est déjà réservé."
    matin = cell(body, day, catalogue.unit("MATIN"))
    assert (matin["state"], matin["outcome"], matin["reason"]) == (
        "available", "impossible", "Matin et Journée ne peuvent pas être réservés le même jour.")
    repas = cell(body, day, catalogue.unit("REPAS"))
    assert (repas["state"], repas["outcome"]) == ("full", "waiting")
    assert repas["reason"] == "Complet : la demande sera inscrite sur la liste d'attente."

    cancelling = await planning(reservations, family, catalogue, day, kind="cancel")
    assert cell(cancelling, day, catalogue.unit("JOURNEE"))["outcome"] == "accepted"
    assert cell(cancelling, day, catalogue.unit("MATIN"))["reason"] == (
        "Aucune réservation à annuler ce jour-là.")


async def test_a_waiting_line_shows_its_position(reservations: Reservations,
                                                 catalogue: Catalogue) -> None:
    day = first_day(catalogue)
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("REPAS"), "date": day.isoformat(),
                   "capacity": 1}]})
    families = [await reservations.family(8) for _ in range(3)]
    for family in families:
        assert (await reservations.book(family, catalogue, [(day, "REPAS")])).status == 201

    seen = [cell(await planning(reservations, f, catalogue, day), day, catalogue.unit("REPAS"))
            for f in families]

    assert [(c["state"], c["position"]) for c in seen] == [
        ("reserved", None), ("waiting", 1), ("waiting", 2)]
    assert seen[2]["reason"] == "Déjà inscrit sur la liste d'attente de ce jour (position 2)."


async def test_late_days_are_requests_then_impossible(reservations: Reservations,
                                                      catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = first_day(catalogue)
    reservations.clock.set(datetime.combine(day - timedelta(days=5), datetime.min.time(),
                                            tzinfo=PARIS).replace(hour=10).astimezone(UTC))

    body = await planning(reservations, family, catalogue, day)
    later = await planning(reservations, family, catalogue, day + timedelta(days=7))

    request = cell(body, day, catalogue.unit("JOURNEE"))
    assert (request["state"], request["outcome"]) == ("available", "requested")
    assert request["reason"].startswith("Réservation à moins de 7 jours du ")
    assert cell(later, day + timedelta(days=7), catalogue.unit("JOURNEE"))["outcome"] == (
        "accepted")
    reservations.clock.set(datetime.combine(day - timedelta(days=1), datetime.min.time(),
                                            tzinfo=PARIS).astimezone(UTC))
    too_late = cell(await planning(reservations, family, catalogue, day), day,
                    catalogue.unit("JOURNEE"))
    assert too_late["outcome"] == "impossible"
    assert too_late["reason"].startswith("Trop tard : ce jour ne pouvait être réservé que "
                                         "jusqu'au ")


async def test_a_child_of_the_wrong_age_cannot_book(reservations: Reservations,
                                                    catalogue: Catalogue) -> None:
    family = await reservations.family(14)
    day = first_day(catalogue)

    body = await planning(reservations, family, catalogue, day)

    assert cell(body, day, catalogue.unit("JOURNEE"))["reason"] == (
        "Cette période accueille les enfants de 3 à 12 ans : Enfant1 n'a pas l'âge requis.")
    periods = (await reservations.call(
        "GET", f"{family.path}/periods?child_id={family.child}",
        headers=family.headers())).body
    assert catalogue.period["id"] not in str(periods)


async def test_a_month_costs_the_same_statements_however_full(
        reservations: Reservations, catalogue: Catalogue) -> None:
    """PLANNING_QUERIES statements, counted on the connection, for an empty month and for a
    month where the child holds lines on every day."""
    empty = await reservations.family(8)
    busy = await reservations.family(8)
    day = first_day(catalogue)
    month_days = [d for d in (day + timedelta(days=i) for i in range(31))
                  if d.month == day.month and d.isoweekday() <= 5]
    answer = await reservations.book(busy, catalogue,
                                     [(d, u) for d in month_days for u in ("JOURNEE", "REPAS")])
    assert answer.status in (201, 422), answer.body

    counts = []
    async with reservations.db.acquire() as conn:
        async def month(family: Family) -> None:
            await planning_service.planning(
                conn, family_id=family.id, now=datetime.now(UTC), query=PlanningQuery(
                    child_id=family.child, period_id=catalogue.period["id"],
                    month=f"{day:%Y-%m}"))

        await month(busy)  # the connection learns the column types once (introspection)
        for family in (empty, busy):
            statements: list[str] = []

            def log(record: Any, into: list[str] = statements) -> None:
                into.append(record.query)

            conn.add_query_logger(log)
            try:
                await month(family)
                await asyncio.sleep(0)  # asyncpg hands records to loggers with call_soon
            finally:
                conn.remove_query_logger(log)
            counts.append(len(statements))

    assert counts == [planning_service.PLANNING_QUERIES] * 2


async def test_the_periods_a_child_may_book_or_cancel(reservations: Reservations,
                                                      catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    path = f"{family.path}/periods?child_id={family.child}"

    book = (await reservations.call("GET", path, headers=family.headers())).body
    cancel = (await reservations.call("GET", path + "&kind=cancel",
                                      headers=family.headers())).body

    mine = next(e for e in book["establishments"] if e["id"] == catalogue.establishment["id"])
    assert [p["id"] for p in mine["periods"]] == [catalogue.period["id"]]
    assert mine["periods"][0]["months"] == catalogue.period["months"]
    assert catalogue.period["id"] not in str(cancel)
    await reservations.book(family, catalogue, [(first_day(catalogue), "REPAS")])
    cancel = (await reservations.call("GET", path + "&kind=cancel",
                                      headers=family.headers())).body
    assert catalogue.period["id"] in str(cancel)


async def test_the_selection_survives_and_bulk_actions_skip_what_cannot_be_booked(
        reservations: Reservations, catalogue: Catalogue) -> None:
    family = await reservations.family(8)
    day = quiet_monday(date.fromisoformat(catalogue.period["start_date"]))
    path = f"{family.path}/selection"
    base = {"child_id": str(family.child), "period_id": catalogue.period["id"]}
    # Wednesdays are closed on the first week (a closure day), the rest is open.
    await reservations.ok("PATCH", f"/periods/{catalogue.period['id']}", json={
        "closures": [(day + timedelta(days=2)).isoformat()]})

    toggled = await reservations.ok("POST", path, headers=family.headers(), json={
        **base, "action": "toggle", "lines": [{"date": day.isoformat(),
                                               "unit_id": catalogue.unit("JOURNEE")}]})
    assert (toggled["changed"], toggled["skipped"]) == (1, 0)
    week = await reservations.ok("POST", path, headers=family.headers(), json={
        **base, "action": "add", "unit_id": catalogue.unit("MATIN"), "scope": "week",
        "week_of": day.isoformat()})
    # Monday is taken by Journée (excludes Matin), Wednesday is closed: 2 skipped of 5.
    assert (week["changed"], week["skipped"]) == (3, 2)
    assert {s["reason"] for s in week["skipped_reasons"]} == {
        "Matin et Journée ne peuvent pas être réservés le même jour.",
        "L'accueil est fermé ce jour-là."}
    weekdays = await reservations.ok("POST", path, headers=family.headers(), json={
        **base, "action": "add", "unit_id": catalogue.unit("REPAS"), "scope": "period",
        "weekdays": [2, 4]})
    assert weekdays["changed"] >= 18
    assert {date.fromisoformat(i["date"]).isoweekday() for i in weekdays["items"]
            if i["unit_id"] == catalogue.unit("REPAS")} == {2, 4}

    again = await reservations.ok(
        "GET", f"{path}?child_id={family.child}&period_id={catalogue.period['id']}",
        headers=family.headers())
    body = await planning(reservations, family, catalogue, day)
    assert again["items"] == weekdays["items"]
    assert body["selection"]["count"] == len(weekdays["items"])
    assert cell(body, day, catalogue.unit("JOURNEE"))["selected"]

    removed = await reservations.ok("POST", path, headers=family.headers(), json={
        **base, "action": "remove", "unit_id": catalogue.unit("REPAS"), "scope": "month",
        "month": f"{day:%Y-%m}"})
    assert removed["changed"] > 0
    cleared = await reservations.ok("POST", path, headers=family.headers(),
                                    json={**base, "action": "clear"})
    assert cleared["items"] == []


async def test_staff_may_read_any_familys_planning(reservations: Reservations,
                                                   catalogue: Catalogue) -> None:
    family = await reservations.family(8)

    answer = await reservations.call(
        "GET", f"{family.path}/planning?child_id={family.child}"
               f"&period_id={catalogue.period['id']}", headers=staff())

    assert answer.status == 200
    assert answer.body["month"] in catalogue.period["months"]

