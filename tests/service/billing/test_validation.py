"""Bad input: a 4xx problem+json in French, and nothing written (NUL characters, integers of
thousands of digits, JSON nested too deep, wrong types, unknown fields)."""

from typing import Any

import pytest

from services.common.errors import PROBLEM_JSON
from tests.service.billing.helpers import Billing, new_unit, parent, staff

UNIT = new_unit()
FAMILY = "00000000-0000-4000-8000-00000000f00d"
OFFLINE = f"/families/{FAMILY}/payments/offline"
ONLINE = f"/families/{FAMILY}/payments"
TARIFF: dict[str, Any] = {
    "establishment_id": str(UNIT.establishment_id), "establishment_name": "Les Pins",
    "unit_id": str(UNIT.id), "unit_label": "Journée", "valid_from": "2035-01-01",
    "brackets": [{"qf_max": 450, "price_cents": 800}, {"price_cents": 1200}],
}
HUGE = int("9" * 4000)
DEEP = {"reason": "x"}
for _ in range(200):
    DEEP = {"nested": DEEP}

BAD_TARIFFS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"unit_label": "Jour\x00née"}, {"unit_label": "Ce champ ne doit contenir ni retour à la "
                                                   "ligne ni caractère de contrôle ou "
                                                   "invisible."}),
    ({"establishment_name": "x" * 101}, {"establishment_name": "Ce champ doit contenir au plus "
                                                               "100 caractères."}),
    ({"brackets": [{"price_cents": HUGE}]}, {"brackets.0.price_cents": "Ce nombre est trop "
                                                                       "long."}),
    ({"brackets": [{"price_cents": -1}]}, {"brackets.0.price_cents": "La valeur doit être "
                                                                     "supérieure ou égale à 0."}),
    ({"sibling_reduction_percent": 101}, {"sibling_reduction_percent": "La valeur doit être "
                                                                       "inférieure ou égale à "
                                                                       "100."}),
    ({"unit_id": "pas-un-id"}, {"unit_id": "Identifiant invalide."}),
    ({"valid_from": "01/01/2035"}, {"valid_from": "Date invalide (format attendu : AAAA-MM-JJ)."}),
    ({"brackets": "tout"}, {"brackets": "Ce champ doit être une liste."}),
    ({"childcare": "peut-être"}, {"childcare": "Ce champ doit valoir oui ou non."}),
    ({"role": "admin"}, {"role": "Ce champ n'est pas autorisé."}),
]


def assert_french_problem(answer: Any, status: int) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert answer.body["title"]
    assert not answer.body["title"].isascii() or " " in answer.body["title"]


@pytest.mark.parametrize(("change", "expected"), BAD_TARIFFS)
async def test_a_bad_tariff_is_refused_and_nothing_is_written(
        billing: Billing, change: dict[str, Any], expected: dict[str, str]) -> None:
    before = await billing.counts()

    answer = await billing.call("POST", "/tariffs", headers=staff(), json={**TARIFF, **change})

    assert_french_problem(answer, 422)
    assert answer.fields == expected
    assert await billing.counts() == before


@pytest.mark.parametrize(("path", "raw"), [
    ("/tariffs", "[" * 100_000 + "]" * 100_000),
    ("/invoicing/runs", '{"month": "2030-01"'),
    ("/invoicing/runs", b'{"month": "\xff\xfe"}'),
])
async def test_unreadable_json_is_a_400_in_french(billing: Billing, path: str,
                                                  raw: str | bytes) -> None:
    before = await billing.counts()

    answer = await billing.call("POST", path, headers={**staff(),
                                                       "Content-Type": "application/json"},
                                data=raw)

    assert_french_problem(answer, 400)
    assert answer.body["title"] in ("Le corps de la demande n'est pas un JSON valide.",
                                    "Le corps de la demande est trop imbriqué.")
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("POST", "/invoicing/runs", {"month": "2030-13"}, 422),
    ("POST", "/invoicing/runs", {"month": "2030-01\x00"}, 422),
    ("POST", "/invoicing/runs", {"month": HUGE}, 422),
    ("POST", "/invoicing/runs", DEEP, 422),
    ("POST", "/invoicing/runs", ["2030-01"], 422),
    ("GET", "/invoicing/preview?month=janvier", None, 422),
    ("GET", "/invoicing/preview?month=2030-01&limit=" + "9" * 5000, None, 422),
    ("GET", "/invoices?cursor=%00", None, 422),
    ("GET", "/invoices?limit=0", None, 422),
    ("GET", "/invoices?family_id=%00", None, 422),
    ("POST", "/invoices/00000000-0000-4000-8000-000000000000/credit-notes",
     {"reason": "a\x00b"}, 422),
    ("POST", "/invoices/00000000-0000-4000-8000-000000000000/credit-notes",
     {"reason": "ok", "item_ids": ["x"]}, 422),
])
async def test_bad_input_on_every_route_is_a_french_4xx(
        billing: Billing, method: str, path: str, body: Any, status: int) -> None:
    before = await billing.counts()

    answer = await billing.call(method, path, headers=staff(), json=body)

    assert_french_problem(answer, status)
    assert await billing.counts() == before


@pytest.mark.parametrize(("path", "body"), [
    (OFFLINE, {"method": "cheque", "amount_cents": 100, "received_on": "2030-01-01",
               "reference": "n°\x00123"}),
    (OFFLINE, {"method": "bitcoin", "amount_cents": 100, "received_on": "2030-01-01"}),
    (OFFLINE, {"method": "cash", "amount_cents": HUGE, "received_on": "2030-01-01"}),
    (OFFLINE, {"method": "cash", "amount_cents": "cent", "received_on": "2030-01-01"}),
    (OFFLINE, {"method": "cash", "amount_cents": 100, "received_on": "hier"}),
    (OFFLINE, {"method": "cash", "amount_cents": 100, "received_on": "2030-01-01",
               "invoices": []}),
    # The same invoice twice: a French 422, no longer a 500 (issue 13, point 7).
    (OFFLINE, {"method": "cash", "amount_cents": 2, "received_on": "2030-01-01",
               "invoices": [{"invoice_id": FAMILY, "amount_cents": 1},
                            {"invoice_id": FAMILY, "amount_cents": 1}]}),
    (ONLINE, {"invoices": []}),
    (ONLINE, {"invoices": [{"invoice_id": "x"}]}),
    (ONLINE, {"invoices": [{"invoice_id": FAMILY}, {"invoice_id": FAMILY}]}),
    (ONLINE, {"invoices": [{"invoice_id": FAMILY, "amount_cents": HUGE}]}),
    (ONLINE, DEEP),
    ("/payments/00000000-0000-4000-8000-000000000000/refund", {"reason": "\x00"}),
])
async def test_bad_payment_input_is_a_french_422_and_nothing_is_written(
        billing: Billing, path: str, body: Any) -> None:
    headers = parent(FAMILY) if path == ONLINE else staff()
    before = await billing.counts()

    answer = await billing.call("POST", path, headers=headers, json=body)

    assert_french_problem(answer, 422)
    assert answer.body["errors"]
    assert await billing.counts() == before


async def test_a_body_that_is_not_json_is_a_415(billing: Billing) -> None:
    answer = await billing.call("POST", "/invoicing/runs", headers=staff(), data="month=2030-01")

    assert_french_problem(answer, 415)
