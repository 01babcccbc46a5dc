"""Who reaches what: a parent only their own family (another family's: 404, whatever they
send), staff routes 403 to a parent, 401 without a token. Route lists are checked against the
live router, so a new route cannot escape these tests."""

import uuid
from datetime import date
from typing import Any

import pytest

from tests.service.billing.helpers import (
    TOKENS,
    Billing,
    fresh_month,
    line,
    new_unit,
    parent,
    staff,
)

# Every route under a family's id, with a body that would be valid.
FAMILY_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/families/{family}/invoices", None),
    ("GET", "/families/{family}/invoices/{invoice}", None),
    ("GET", "/families/{family}/invoices/{invoice}/pdf", None),
    ("GET", "/families/{family}/credit-notes/{credit_note}/pdf", None),
    ("GET", "/families/{family}/balance", None),
    ("GET", "/families/{family}/tax-certificates", None),
    ("GET", "/families/{family}/tax-certificates/2030/{child}/pdf", None),
    ("GET", "/families/{family}/payments", None),
    ("GET", "/families/{family}/payments/{payment}", None),
    ("POST", "/families/{family}/payments/{payment}/verification", None),
    ("POST", "/families/{family}/payments", {"invoices": [{"invoice_id": "{invoice}"}]}),
    ("POST", "/families/{family}/invoices/{invoice}/payments", {}),
    ("POST", "/families/{family}/payments/offline",
     {"method": "cash", "amount_cents": 100, "received_on": "2030-01-01"}),
    ("GET", "/families/{family}/direct-debit", None),
    ("POST", "/families/{family}/mandates",
     {"holder": "Jean Martin", "iban": "FR1420041010050500013M02606"}),
    ("POST", "/families/{family}/mandates/{mandate}/code", None),
    ("POST", "/families/{family}/mandates/{mandate}/signature", {"code": "123456"}),
    ("POST", "/families/{family}/mandates/{mandate}/revocation", None),
]
# Staff only.
STAFF_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/tariffs", None),
    ("POST", "/tariffs", {"establishment_id": "00000000-0000-4000-8000-000000000001",
                          "establishment_name": "A", "unit_id":
                          "00000000-0000-4000-8000-000000000002", "unit_label": "B",
                          "valid_from": "2030-01-01", "brackets": [{"price_cents": 1}]}),
    ("GET", "/tariffs/{tariff}", None),
    ("PUT", "/tariffs/{tariff}", {"establishment_id": "00000000-0000-4000-8000-000000000001",
                                  "establishment_name": "A", "unit_id":
                                  "00000000-0000-4000-8000-000000000002", "unit_label": "B",
                                  "valid_from": "2031-01-01", "brackets": [{"price_cents": 1}]}),
    ("DELETE", "/tariffs/{tariff}", None),
    ("GET", "/invoicing/preview?month=2030-01", None),
    ("POST", "/invoicing/runs", {"month": "2030-01"}),
    ("GET", "/invoices", None),
    ("GET", "/invoices/{invoice}", None),
    ("POST", "/invoices/{invoice}/credit-notes", {"reason": "Erreur"}),
    ("GET", "/invoices/{invoice}/pdf", None),
    ("GET", "/credit-notes/{credit_note}/pdf", None),
    ("GET", "/payments", None),
    ("POST", "/payments/{payment}/refund", {"reason": "Erreur"}),
    ("POST", "/families/{family}/payments/offline",
     {"method": "cash", "amount_cents": 100, "received_on": "2030-01-01"}),
    ("GET", "/pes/preview?month=2030-01", None),
    ("GET", "/pes/batches", None),
    ("POST", "/pes/batches", {"month": "2030-01"}),
    ("GET", "/pes/batches/{batch}", None),
    ("GET", "/pes/batches/{batch}/file", None),
    ("POST", "/pes/batches/{batch}/sent", None),
    ("DELETE", "/pes/batches/{batch}", None),
    ("GET", "/direct-debits?month=2030-01", None),
    ("POST", "/direct-debits/batches", {"month": "2030-01"}),
    ("GET", "/direct-debits/batches/{batch}/file", None),
    ("POST", "/direct-debits/returns", {"invoice_number": "F-2030-000001", "code": "AM04"}),
]
# Open to anyone by design (the kernel's, and the payment notification).
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json"}


def canonical(path: str) -> str:
    names = {"{family}": "{family_id}", "{invoice}": "{invoice_id}", "{tariff}": "{tariff_id}",
             "{credit_note}": "{credit_note_id}", "{payment}": "{payment_id}",
             "{child}": "{child_id}", "{batch}": "{batch_id}", "/2030/": "/{year}/",
             "{mandate}": "{mandate_id}"}
    for short, long in names.items():
        path = path.replace(short, long)
    return path.split("?")[0]


@pytest.fixture(scope="module")
async def other(billing: Billing) -> dict[str, str]:
    """Another family with an invoice and a credit note, that the parent must not reach."""
    month = fresh_month()
    unit = new_unit()
    tariff = await billing.tariff(unit, [(None, 1000)])
    family = await billing.family(name="Famille Voisine")
    child = family.child("Jade", date(2019, 5, 5))
    await billing.book(family, [line(family, child, unit, month),
                                line(family, child, unit, month.replace(day=2))])
    await billing.run(month)
    invoice = (await billing.invoices_of(family))[0]
    first_day = (await billing.invoice(family, invoice["id"]))["items"][0]["id"]
    note = await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes", headers=staff(),
                              json={"reason": "Test", "item_ids": [first_day]})
    paid = await billing.call("POST", f"/families/{family.id}/payments/offline", headers=staff(),
                              json={"method": "cash", "amount_cents": 100,
                                    "received_on": "2030-01-01"})
    mandate = await billing.call("POST", f"/families/{family.id}/mandates",
                                 headers=parent(family.id),
                                 json={"holder": "Zoé Voisine",
                                       "iban": "FR7630004000310001234567865"})
    assert mandate.status == 201, mandate.body
    return {"family": str(family.id), "invoice": invoice["id"], "credit_note": note.body["id"],
            "tariff": tariff["id"], "payment": paid.body["id"], "child": str(child.id),
            "mandate": mandate.body["id"], "batch": str(uuid.uuid4())}


def filled(body: Any, ids: dict[str, str]) -> Any:
    """`body` with `{invoice}`-like placeholders replaced by `ids`."""
    if isinstance(body, dict):
        return {k: filled(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [filled(v, ids) for v in body]
    if isinstance(body, str) and body.startswith("{"):
        return body.format(**ids)
    return body


@pytest.fixture(scope="module")
async def own(billing: Billing) -> dict[str, str]:
    family = await billing.family(name="Famille Curieuse")
    return {"family": str(family.id)}


def test_every_route_is_in_an_access_list(billing: Billing) -> None:
    served = {(r.method, r.resource.canonical) for r in billing.server.app.router.routes()
              if r.resource is not None and r.method != "HEAD"
              and r.resource.canonical not in PUBLIC
              and not r.resource.canonical.startswith(("/payfip-sandbox", "/payfip/"))}
    listed = {(m, canonical(p)) for m, p, _ in FAMILY_ROUTES + STAFF_ROUTES}
    assert ("GET", "/payfip/notifications") in {(r.method, r.resource.canonical) for r in
                                                 billing.server.app.router.routes()
                                                 if r.resource is not None}
    assert served == listed


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_to_a_parent(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await billing.counts()

    answer = await billing.call(method, path.format(**other), headers=parent(own["family"]),
                                json=filled(body, other))

    assert answer.status == 404
    assert answer.body["type"] == "/problems/not-found"
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), [
    r for r in FAMILY_ROUTES if "{invoice}" in str(r) or "{payment}" in r[1]
    or "{credit_note}" in r[1] or "{mandate}" in r[1]])
async def test_another_familys_ids_under_ones_own_family_are_404(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    ids = {**other, "family": own["family"]}
    before = await billing.counts()

    answer = await billing.call(method, path.format(**ids), headers=parent(own["family"]),
                                json=filled(body, ids))

    assert answer.status == 404
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
async def test_staff_routes_answer_403_to_a_parent(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await billing.counts()

    ids = {**other, "family": own["family"]}
    answer = await billing.call(method, path.format(**ids), headers=parent(own["family"]),
                                json=filled(body, ids))

    assert answer.status == 403
    assert answer.body["type"] == "/problems/forbidden"
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES + STAFF_ROUTES)
async def test_without_a_token_every_route_answers_401(
        billing: Billing, other: dict[str, str], method: str, path: str, body: Any) -> None:
    answer = await billing.call(method, path.format(**other), json=filled(body, other))

    assert answer.status == 401


async def test_an_integrator_reaches_no_family(billing: Billing, other: dict[str, str]) -> None:
    answer = await billing.call("GET", f"/families/{other['family']}/invoices",
                                headers=TOKENS.headers(role="integrator"))

    assert answer.status == 403
