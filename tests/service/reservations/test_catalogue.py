"""The catalogue: establishments, units with symmetric exclusions, periods (public holidays and
closures never offered, eligibility, window, rules), capacities with an under/over-6 split and
per-day overrides."""

from datetime import date, timedelta
from typing import Any

from services.common.dates import today
from services.reservations.rules import is_public_holiday
from tests.service.reservations.helpers import (
    Catalogue,
    Reservations,
    next_weekday,
    period_body,
    staff,
)


async def test_exclusions_are_symmetric(reservations: Reservations,
                                        catalogue: Catalogue) -> None:
    listing = await reservations.ok("GET", "/establishments")
    mine = next(e for e in listing["items"] if e["id"] == catalogue.establishment["id"])
    units = {u["code"]: u for u in mine["units"]}

    assert set(units["JOURNEE"]["excludes"]) == {catalogue.unit("MATIN"), catalogue.unit("APREM")}
    assert units["MATIN"]["excludes"] == [catalogue.unit("JOURNEE")]
    assert units["REPAS"]["excludes"] == []

    changed = await reservations.ok("PATCH", f"/units/{catalogue.unit('REPAS')}",
                                    json={"excludes": [catalogue.unit("MATIN")]})
    assert changed["excludes"] == [catalogue.unit("MATIN")]
    again = await reservations.ok("GET", "/establishments")
    units = {u["code"]: u for e in again["items"] if e["id"] == catalogue.establishment["id"]
             for u in e["units"]}
    assert set(units["MATIN"]["excludes"]) == {catalogue.unit("JOURNEE"),
                                               catalogue.unit("REPAS")}


async def test_a_unit_of_another_establishment_cannot_be_excluded(
        reservations: Reservations, catalogue: Catalogue) -> None:
    other = await reservations.catalogue()
    before = await reservations.counts()

    answer = await reservations.call(
        "POST", f"/establishments/{catalogue.establishment['id']}/units", headers=staff(),
        json={"code": "SOIR", "label": "Soir", "excludes": [other.unit("MATIN")]})

    assert answer.status == 422
    assert answer.fields == {"excludes.0": "Cette unité n'appartient pas à l'établissement."}
    assert await reservations.counts() == before


async def test_a_code_is_unique_in_its_establishment(reservations: Reservations,
                                                     catalogue: Catalogue) -> None:
    answer = await reservations.call(
        "POST", f"/establishments/{catalogue.establishment['id']}/units", headers=staff(),
        json={"code": "MATIN", "label": "Matin bis"})

    assert answer.status == 422
    assert answer.fields == {
        "code": "Ce code est déjà utilisé par une autre unité de l'établissement."}


async def test_public_holidays_and_closures_are_never_offered(
        reservations: Reservations) -> None:
    day = next_weekday(today() + timedelta(days=14))
    holiday = day
    while not (is_public_holiday(holiday) and holiday.isoweekday() <= 5):
        holiday += timedelta(days=1)
    closure = next_weekday(holiday + timedelta(days=1), 2)
    catalogue = await reservations.catalogue(
        start_date=(holiday - timedelta(days=3)).isoformat(),
        end_date=(holiday + timedelta(days=20)).isoformat(),
        closures=[closure.isoformat()])
    family = await reservations.family(8)

    months = {holiday.strftime("%Y-%m"), closure.strftime("%Y-%m")}
    cells: dict[str, Any] = {}
    for month in months:
        body = (await reservations.call(
            "GET", f"{family.path}/planning?child_id={family.child}"
                   f"&period_id={catalogue.period['id']}&month={month}",
            headers=family.headers())).body
        cells.update({d["date"]: d for d in body["days"]})

    assert not cells[holiday.isoformat()]["offered"]
    assert cells[holiday.isoformat()]["cells"][0]["reason"] == "Jour férié : l'accueil est fermé."
    assert not cells[closure.isoformat()]["offered"]
    async with reservations.db.acquire() as conn:
        counted = await conn.fetchval(
            "SELECT count(*) FROM cells WHERE period_id = $1 AND day = ANY($2::date[])",
            catalogue.period["id"], [holiday, closure])
    assert counted == 0


async def test_capacities_by_default_and_by_day(reservations: Reservations,
                                                catalogue: Catalogue) -> None:
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    other = next_weekday(day + timedelta(days=1), 2)
    period_id = catalogue.period["id"]

    period = await reservations.ok("PUT", f"/periods/{period_id}/capacities", json={"items": [
        {"unit_id": catalogue.unit("REPAS"), "date": day.isoformat(), "capacity": 3},
        {"unit_id": catalogue.unit("REPAS"), "capacity": 30, "capacity_under6": 10,
         "capacity_over6": 20}]})

    repas = next(u for u in period["units"] if u["code"] == "REPAS")
    assert (repas["capacity"], repas["capacity_under6"], repas["capacity_over6"]) == (30, 10, 20)
    assert period["overrides"] == [{"unit_id": catalogue.unit("REPAS"), "date": day.isoformat(),
                                    "capacity": 3, "capacity_under6": None,
                                    "capacity_over6": None}]
    assert (await reservations.cell(catalogue, day, "REPAS"))["capacity"] == 3
    split = await reservations.cell(catalogue, other, "REPAS")
    assert (split["capacity"], split["capacity_under6"], split["capacity_over6"]) == (30, 10, 20)


async def test_the_under_six_pool_fills_on_its_own(reservations: Reservations,
                                                   catalogue: Catalogue) -> None:
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    await reservations.ok("PUT", f"/periods/{catalogue.period['id']}/capacities", json={
        "items": [{"unit_id": catalogue.unit("JOURNEE"), "date": day.isoformat(),
                   "capacity": 2, "capacity_under6": 1, "capacity_over6": 1}]})
    small, small2, big = (await reservations.family(4), await reservations.family(5),
                          await reservations.family(9))

    first = await reservations.book(small, catalogue, [(day, "JOURNEE")])
    second = await reservations.book(small2, catalogue, [(day, "JOURNEE")])
    third = await reservations.book(big, catalogue, [(day, "JOURNEE")])

    assert [a.body["lines"][0]["state"] for a in (first, second, third)] == [
        "accepted", "waiting", "accepted"]
    cell = await reservations.cell(catalogue, day, "JOURNEE")
    assert (cell["taken"], cell["taken_under6"], cell["taken_over6"]) == (2, 1, 1)


BAD_PERIODS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"end_date": "2020-01-01", "start_date": "2020-02-01"},
     {"_": "La fin de la période doit suivre son début."}),
    ({"rules": {"auto_days": 2, "request_days": 5}},
     {"rules": "Le délai des demandes ne peut pas dépasser celui des réservations "
               "automatiques."}),
    ({"weekdays": [1, 8]}, {"weekdays.1": "La valeur doit être inférieure ou égale à 7."}),
    ({"eligibility": {"min_age": 10, "max_age": 3}},
     {"eligibility": "L'âge minimum ne peut pas dépasser l'âge maximum."}),
    ({"window": {"opens_at": "2026-06-01T09:00:00", "closes_at": "2026-07-01T09:00:00+02:00"}},
     {"window.opens_at": "Valeur invalide."}),
    ({"offer_hours": 0}, {"offer_hours": "La valeur doit être supérieure ou égale à 1."}),
]


async def test_bad_periods_are_refused_in_french_and_nothing_is_written(
        reservations: Reservations, catalogue: Catalogue) -> None:
    before = await reservations.counts()
    for change, expected in BAD_PERIODS:
        body = period_body(catalogue.establishment["id"], catalogue.units, **change)

        answer = await reservations.call("POST", "/periods", headers=staff(), json=body)

        assert answer.status == 422, change
        assert answer.fields == expected, change
    split = period_body(catalogue.establishment["id"], catalogue.units)
    split["units"][0].update(capacity_under6=5, capacity_over6=5)
    answer = await reservations.call("POST", "/periods", headers=staff(), json=split)
    assert answer.fields == {"units.0": "La capacité doit être la somme des capacités moins de "
                                        "6 ans et 6 ans et plus."}
    patched = await reservations.call("PATCH", f"/periods/{catalogue.period['id']}",
                                      headers=staff(), json={"end_date": "2000-01-01"})
    assert patched.status == 422
    assert patched.fields == {"_": "La fin de la période doit suivre son début."}
    assert await reservations.counts() == before


async def test_a_period_change_is_audited_and_versioned(reservations: Reservations,
                                                        catalogue: Catalogue) -> None:
    changed = await reservations.ok("PATCH", f"/periods/{catalogue.period['id']}",
                                    json={"name": "Vacances d'hiver", "offer_hours": 24})

    assert (changed["name"], changed["offer_hours"]) == ("Vacances d'hiver", 24)
    assert changed["version"] == catalogue.period["version"] + 1
    async with reservations.db.acquire() as conn:
        actions = await conn.fetch("SELECT action, actor_role FROM audit_entries "
                                   "WHERE target_id = $1 ORDER BY id", catalogue.period["id"])
    assert [(a["action"], a["actor_role"]) for a in actions] == [
        ("period.created", "staff"), ("period.updated", "staff")]
