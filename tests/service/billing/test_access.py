"""Who reaches what: a parent only their own family (another family's: 404, whatever they
send), staff routes 403 to a parent, 401 without a token. Route lists are checked against the
live router, so a new route cannot escape these tests."""

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
]
# Open to anyone by design (the kernel's, and the payment notification).
PUBLIC = {"/healthz", "/readyz", "/metrics", "/openapi.json"}


def canonical(path: str) -> str:
    names = {"{family}": "{family_id}", "{invoice}": "{invoice_id}", "{tariff}": "{tariff_id}",
             "{credit_note}": "{credit_note_id}", "{payment}": "{payment_id}"}
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
    return {"family": str(family.id), "invoice": invoice["id"], "credit_note": note.body["id"],
            "tariff": tariff["id"]}


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
    assert served == listed


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_routes_answer_404_to_a_parent(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await billing.counts()

    answer = await billing.call(method, path.format(**other), headers=parent(own["family"]),
                                json=body)

    assert answer.status == 404
    assert answer.body["type"] == "/problems/not-found"
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES)
async def test_another_familys_ids_under_ones_own_family_are_404(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    ids = {**other, "family": own["family"]}

    answer = await billing.call(method, path.format(**ids), headers=parent(own["family"]),
                                json={"nonsense": True} if body is not None else None)

    if "{invoice}" in path or "{credit_note}" in path:
        assert answer.status == 404
    else:
        assert answer.status < 400


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ROUTES)
async def test_staff_routes_answer_403_to_a_parent(
        billing: Billing, own: dict[str, str], other: dict[str, str], method: str, path: str,
        body: Any) -> None:
    before = await billing.counts()

    answer = await billing.call(method, path.format(**other), headers=parent(own["family"]),
                                json=body)

    assert answer.status == 403
    assert answer.body["type"] == "/problems/forbidden"
    assert await billing.counts() == before


@pytest.mark.parametrize(("method", "path", "body"), FAMILY_ROUTES + STAFF_ROUTES)
async def test_without_a_token_every_route_answers_401(
        billing: Billing, other: dict[str, str], method: str, path: str, body: Any) -> None:
    answer = await billing.call(method, path.format(**other), json=body)

    assert answer.status == 401


async def test_an_integrator_reaches_no_family(billing: Billing, other: dict[str, str]) -> None:
    answer = await billing.call("GET", f"/families/{other['family']}/invoices",
                                headers=TOKENS.headers(role="integrator"))

    assert answer.status == 403
