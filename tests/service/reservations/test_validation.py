"""Bad input: a 4xx problem+json with a French message, and nothing written (NUL characters,
huge integers, deep JSON, wrong types, bad dates and months)."""

from datetime import date
from typing import Any

import pytest

from services.common.errors import PROBLEM_JSON
from tests.service.reservations.helpers import (
    Catalogue,
    Family,
    Reservations,
    next_weekday,
    staff,
)

HUGE = "9" * 5000


@pytest.fixture(scope="module")
async def setting(reservations: Reservations) -> dict[str, Any]:
    catalogue = await reservations.catalogue()
    family = await reservations.family(8)
    day = next_weekday(date.fromisoformat(catalogue.period["start_date"]))
    return {"catalogue": catalogue, "family": family, "day": day}


def booking(setting: dict[str, Any], **change: Any) -> dict[str, Any]:
    catalogue: Catalogue = setting["catalogue"]
    family: Family = setting["family"]
    body: dict[str, Any] = {
        "child_id": str(family.child), "period_id": catalogue.period["id"],
        "lines": [{"date": setting["day"].isoformat(), "unit_id": catalogue.unit("REPAS")}]}
    body.update(change)
    return body


BOOKING_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"child_id": "abc\u0000"}, {"child_id": "Identifiant invalide."}),
    ({"kind": "swap"}, {"kind": "Valeur non autorisée (valeurs possibles : « book » ou "
                                "« cancel »)."}),
    ({"lines": []}, {"lines": "Cette liste doit contenir au moins 1 élément(s)."}),
    ({"lines": [{"date": "2026-02-30", "unit_id": "00000000-0000-4000-8000-000000000000"}]},
     {"lines.0.date": "Date invalide (format attendu : AAAA-MM-JJ)."}),
    ({"lines": [{"date": "9999-12-31", "unit_id": "00000000-0000-4000-8000-000000000000"}]},
     {"lines.0.date": "Date hors des limites acceptées."}),
    ({"lines": [{"date": 20260706, "unit_id": "00000000-0000-4000-8000-000000000000"}]},
     {"lines.0.date": "Date invalide (format attendu : AAAA-MM-JJ)."}),
    ({"all_or_nothing": "peut-être"}, {"all_or_nothing": "Ce champ doit valoir oui ou non."}),
    ({"lines": "tous"}, {"lines": "Ce champ doit être une liste."}),
    ({"extra": 1}, {"extra": "Ce champ n'est pas autorisé."}),
]


@pytest.mark.parametrize(("change", "expected"), BOOKING_CASES)
async def test_a_bad_booking_is_refused_and_writes_nothing(
        reservations: Reservations, setting: dict[str, Any], change: dict[str, Any],
        expected: dict[str, str]) -> None:
    family: Family = setting["family"]
    before = await reservations.counts()

    answer = await reservations.call("POST", f"{family.path}/reservations",
                                     headers=family.headers(), json=booking(setting, **change))

    assert answer.status == 422
    assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert answer.fields == expected
    assert await reservations.counts() == before


async def test_a_nul_character_in_a_name_is_refused(reservations: Reservations) -> None:
    before = await reservations.counts()

    answer = await reservations.call(
        "POST", "/establishments", data=b'{"name": "Accueil\\u0000", "kind": "periscolaire"}',
        headers={**staff(), "Content-Type": "application/json"})

    assert answer.status == 422
    assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert set(answer.fields) == {"name"}
    assert await reservations.counts() == before


QUERY_CASES: list[tuple[str, dict[str, str]]] = [
    ("&month=2026-13", {"month": "Mois invalide (format attendu : AAAA-MM)."}),
    ("&month=2026-1", {"month": "Mois invalide (format attendu : AAAA-MM)."}),
    ("&month=" + "9" * 5000, {"month": "Ce champ doit contenir au plus 7 caractères."}),
    ("&kind=%00", {"kind": "Valeur non autorisée (valeurs possibles : « book » ou "
                           "« cancel »)."}),
]


@pytest.mark.parametrize(("suffix", "expected"), QUERY_CASES)
async def test_bad_planning_queries_are_refused_in_french(
        reservations: Reservations, setting: dict[str, Any], suffix: str,
        expected: dict[str, str]) -> None:
    family: Family = setting["family"]
    catalogue: Catalogue = setting["catalogue"]

    answer = await reservations.call(
        "GET", f"{family.path}/planning?child_id={family.child}"
               f"&period_id={catalogue.period['id']}{suffix}", headers=family.headers())

    assert answer.status == 422
    assert answer.fields == expected


async def test_a_month_outside_the_period_is_404(reservations: Reservations,
                                                 setting: dict[str, Any]) -> None:
    family: Family = setting["family"]
    catalogue: Catalogue = setting["catalogue"]

    answer = await reservations.call(
        "GET", f"{family.path}/planning?child_id={family.child}"
               f"&period_id={catalogue.period['id']}&month=2001-01", headers=family.headers())

    assert answer.status == 404
    assert answer.body["title"] == "Ce mois ne fait pas partie de la période."


async def test_huge_numbers_in_queries_and_capacities(reservations: Reservations,
                                                      setting: dict[str, Any]) -> None:
    family: Family = setting["family"]
    catalogue: Catalogue = setting["catalogue"]
    before = await reservations.counts()

    listing = await reservations.call("GET", f"{family.path}/reservations?limit={HUGE}",
                                      headers=family.headers())
    capacity = await reservations.call(
        "PUT", f"/periods/{catalogue.period['id']}/capacities", headers=staff(),
        json={"items": [{"unit_id": catalogue.unit("REPAS"), "capacity": 10**30}]})

    assert listing.status == 422
    assert listing.fields["limit"]
    assert capacity.status == 422
    assert capacity.fields == {"items.0.capacity": "Ce nombre est trop long."}
    assert await reservations.counts() == before


async def test_a_bad_idempotency_key_or_cursor_is_400(reservations: Reservations,
                                                      setting: dict[str, Any]) -> None:
    family: Family = setting["family"]
    before = await reservations.counts()

    keyed = await reservations.call("POST", f"{family.path}/reservations", headers={
        **family.headers(), "Idempotency-Key": "clé avec espaces"}, json=booking(setting))
    paged = await reservations.call("GET", f"{family.path}/reservations?cursor=bm9wZQ",
                                    headers=family.headers())

    assert keyed.status == 400
    assert keyed.body["title"].startswith("L'en-tête Idempotency-Key est invalide")
    assert paged.status == 400
    assert paged.body["title"] == "Le lien de pagination est invalide. Revenez à la première page."
    assert await reservations.counts() == before


async def test_a_refusal_needs_a_comment(reservations: Reservations,
                                         setting: dict[str, Any]) -> None:
    answer = await reservations.call(
        "POST", "/lines/00000000-0000-4000-8000-000000000000/decision", headers=staff(),
        json={"decision": "refuse", "comment": "  "})

    assert answer.status == 422
    assert answer.fields == {
        "comment": "Un commentaire est obligatoire pour refuser une demande."}
