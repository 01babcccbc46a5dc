"""Online payment with PayFiP against the sandbox (the production provider code, another base
URL): the request's fields, notifications by GET or POST with either spelling, never settled
twice, tampered answers refused, P5 then success by polling, P1 and old unknown → expired;
several invoices, partial payments; payments recorded by staff; refunds."""

import uuid
from typing import Any

import pytest

from tests.service.billing.helpers import (
    Billing,
    Family,
    invoiced,
    operation_of,
    parent,
    staff,
)
from tests.support import eventually

SANDBOX = "/payfip-sandbox"


async def start(billing: Billing, family: Family, invoice: dict[str, Any],
                amount: int | None = None) -> dict[str, Any]:
    answer = await billing.call("POST", f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=parent(family.id), json={"amount_cents": amount})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


async def control(billing: Billing, idop: str, **body: Any) -> dict[str, Any]:
    answer = await billing.call("POST", f"{SANDBOX}/control/{idop}", json=body)
    assert answer.status == 200, answer.body
    result: dict[str, Any] = answer.body
    return result


async def payment(billing: Billing, family: Family, payment_id: str) -> dict[str, Any]:
    answer = await billing.call("GET", f"/families/{family.id}/payments/{payment_id}",
                                headers=parent(family.id))
    body: dict[str, Any] = answer.body
    return body


async def until_state(billing: Billing, family: Family, payment_id: str, state: str
                      ) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = await payment(billing, family, payment_id)
        return found if found["state"] == state else None

    found: dict[str, Any] = await eventually(reached)
    return found


async def events_of(billing: Billing, event_type: str, payment_id: str) -> list[dict[str, Any]]:
    async with billing.db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT data FROM outbox WHERE type = $1 AND data->>'payment_id' = $2",
            event_type, payment_id)
    return [r["data"] for r in rows]


async def test_the_request_carries_payfips_fields(billing: Billing) -> None:
    family, invoice = await invoiced(billing)

    started = await start(billing, family, invoice)

    fields = (await control(billing, operation_of(started["redirect_url"])))["fields"]
    pay = started["payment"]
    assert started["redirect_url"].startswith(billing.url(f"{SANDBOX}/tpa/paiementws.web?idop="))
    assert (pay["state"], pay["amount_cents"], pay["method"]) == ("pending", 3000, "online")
    assert fields["numcli"] == "000000" and fields["saisie"] == "T"
    assert fields["montant"] == "3000" and fields["mel"] == family.email
    assert fields["refdet"] == pay["refdet"] and 6 <= len(pay["refdet"]) <= 30
    assert pay["refdet"].isalnum() and pay["refdet"].isascii()
    number = invoice["number"].replace("-", " ")
    assert fields["objet"] == f"service Jeunesse facture {number}"
    assert fields["urlnotif"] == billing.url("/payfip/notifications")
    assert fields["urlredirect"].endswith(f"/mon-compte/paiements/{pay['id']}")
    assert fields["exer"].isdigit() and len(fields["exer"]) == 4


@pytest.mark.parametrize("how", ["GET idop", "GET idOp", "POST idop", "POST idOp", "JSON idop"])
async def test_a_notification_by_get_or_post_with_either_spelling_settles_the_payment(
        billing: Billing, how: str) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    idop = operation_of(started["redirect_url"])
    await control(billing, idop, result="P")
    method, spelling = how.split()

    if method == "GET":
        answer = await billing.call("GET", f"/payfip/notifications?{spelling}={idop}")
    elif method == "POST":
        answer = await billing.call("POST", "/payfip/notifications", data={spelling: idop})
    else:
        answer = await billing.call("POST", "/payfip/notifications", json={spelling: idop})

    assert answer.status == 200
    settled = await payment(billing, family, started["payment"]["id"])
    assert settled["state"] == "validated"
    shown = await billing.invoice(family, invoice["id"])
    assert (shown["state"], shown["paid_cents"], shown["amount_due_cents"]) == ("paid", 3000, 0)


async def test_the_same_notification_twice_settles_once(billing: Billing) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    idop = operation_of(started["redirect_url"])
    page = await billing.call("GET", f"{SANDBOX}/tpa/paiementws.web?idop={idop}")
    assert page.status == 200 and "Payer" in page.body

    paid = await billing.call("POST", f"{SANDBOX}/tpa/paiementws.web?idop={idop}",
                              data={"idop": idop, "action": "pay", "notify": "twice"})
    again = await billing.call("GET", f"/payfip/notifications?idop={idop}")

    assert paid.status == 303
    assert paid.headers["Location"].endswith(f"/mon-compte/paiements/{started['payment']['id']}"
                                             f"?idop={idop}")
    assert again.status == 200
    settled = await payment(billing, family, started["payment"]["id"])
    assert settled["state"] == "validated"
    assert len(await events_of(billing, "billing.payment_succeeded",
                               started["payment"]["id"])) == 1
    shown = await billing.invoice(family, invoice["id"])
    assert [p["payment_id"] for p in shown["payments"]] == [started["payment"]["id"]]
    assert shown["paid_cents"] == 3000


@pytest.mark.parametrize("tampered", [{"montant": "100"}, {"refdet": "PFAUTREREFERENCE"},
                                      {"numcli": "999999"}])
async def test_a_tampered_answer_is_refused(billing: Billing, tampered: dict[str, str]) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    idop = operation_of(started["redirect_url"])
    await control(billing, idop, result="P", **tampered)

    await billing.call("POST", "/payfip/notifications", data={"idop": idop})

    settled = await payment(billing, family, started["payment"]["id"])
    assert settled["state"] == "refused"
    assert settled["outcome"].startswith("anomalie")
    shown = await billing.invoice(family, invoice["id"])
    assert (shown["state"], shown["paid_cents"]) == ("to_pay", 0)


async def test_an_unfinished_payment_is_polled_until_it_succeeds(billing: Billing) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    payment_id = started["payment"]["id"]

    async def checked_and_unknown() -> bool:
        async with billing.db.acquire() as conn:
            row = await conn.fetchrow("SELECT state, checks FROM payments WHERE id = $1",
                                      uuid.UUID(payment_id))
        return bool(row["checks"] >= 1 and row["state"] == "pending")

    # The background check asked PayFiP already and heard P5 (not finished yet).
    await eventually(checked_and_unknown)
    # The payer pays; PayFiP never notifies: the background check finds it.
    await control(billing, operation_of(started["redirect_url"]), result="P")

    settled = await until_state(billing, family, payment_id, "validated")
    assert settled["settled_at"] is not None
    assert (await billing.invoice(family, invoice["id"]))["state"] == "paid"


async def test_an_operation_payfip_no_longer_knows_expires(billing: Billing) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    await control(billing, operation_of(started["redirect_url"]), forget=True)

    expired = await until_state(billing, family, started["payment"]["id"], "cancelled")

    assert expired["outcome"] == "expiré"
    [event] = await events_of(billing, "billing.payment_failed", started["payment"]["id"])
    assert event["reason"] == "expired"
    shown = await billing.invoice(family, invoice["id"])
    assert (shown["state"], shown["payable_online"]) == ("to_pay", True)


async def test_a_payment_still_unknown_after_two_hours_expires(billing: Billing) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    async with billing.db.acquire() as conn:
        # As if it had been started (and abandoned without a word) three hours ago.
        await conn.execute("UPDATE payments SET created_at = now() - interval '3 hours', "
                           "next_check_at = now() WHERE id = $1",
                           uuid.UUID(started["payment"]["id"]))

    expired = await until_state(billing, family, started["payment"]["id"], "cancelled")

    assert expired["outcome"] == "expiré"


@pytest.mark.parametrize(("action", "state", "reason"), [("refuse", "refused", "refused"),
                                                         ("abandon", "cancelled", "abandoned")])
async def test_a_refused_or_abandoned_payment_leaves_the_invoice_to_pay(
        billing: Billing, action: str, state: str, reason: str) -> None:
    family, invoice = await invoiced(billing)
    started = await start(billing, family, invoice)
    idop = operation_of(started["redirect_url"])

    await billing.call("POST", f"{SANDBOX}/tpa/paiementws.web",
                       data={"idop": idop, "action": action, "notify": "once"})

    await until_state(billing, family, started["payment"]["id"], state)
    [event] = await events_of(billing, "billing.payment_failed", started["payment"]["id"])
    assert event["reason"] == reason
    assert (await billing.invoice(family, invoice["id"]))["state"] == "to_pay"


async def test_one_payment_settles_several_invoices_in_full_or_in_part(
        billing: Billing) -> None:
    family, first = await invoiced(billing, days=2)
    family, second = await invoiced(billing, days=3, family=family)

    answer = await billing.call("POST", f"/families/{family.id}/payments",
                                headers=parent(family.id), json={"invoices": [
                                    {"invoice_id": first["id"]},
                                    {"invoice_id": second["id"], "amount_cents": 1250}]})
    assert answer.status == 201, answer.body
    idop = operation_of(answer.body["redirect_url"])
    await billing.call("POST", f"{SANDBOX}/tpa/paiementws.web",
                       data={"idop": idop, "action": "pay", "notify": "once"})

    paid = await until_state(billing, family, answer.body["payment"]["id"], "validated")
    assert paid["amount_cents"] == 3250
    assert {(i["number"], i["amount_cents"]) for i in paid["invoices"]} == {
        (first["number"], 2000), (second["number"], 1250)}
    assert (await billing.invoice(family, first["id"]))["state"] == "paid"
    rest = await billing.invoice(family, second["id"])
    assert (rest["state"], rest["amount_due_cents"]) == ("partially_paid", 1750)


async def test_a_second_online_payment_waits_for_the_one_in_progress(billing: Billing) -> None:
    family, invoice = await invoiced(billing)
    await start(billing, family, invoice, amount=500)

    second = await billing.call("POST",
                                f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=parent(family.id), json={})
    shown = await billing.invoice(family, invoice["id"])

    assert second.status == 409
    assert "déjà en cours" in second.body["title"]
    assert (shown["payment_in_progress"], shown["payable_online"]) == (True, False)


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"amount_cents": 99}, "amount_cents", "Le paiement en ligne est possible à partir de 1,00 €."),
    ({"amount_cents": 3001}, "invoices.0.amount_cents",
     "Le montant dépasse le reste à payer de la facture"),
    ({"amount_cents": 0}, "amount_cents", "La valeur doit être supérieure ou égale à 1."),
])
async def test_online_amounts_out_of_bounds_are_refused_and_nothing_is_written(
        billing: Billing, body: dict[str, Any], field: str, message: str) -> None:
    family, invoice = await invoiced(billing)
    before = await billing.counts()

    answer = await billing.call("POST", f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=parent(family.id), json=body)

    assert answer.status == 422
    assert answer.fields[field].startswith(message)
    assert await billing.counts() == before


async def test_an_email_payfip_would_refuse_is_said_before_any_call(billing: Billing) -> None:
    family, invoice = await invoiced(billing, email=("x" * 75) + "@example.org")
    before = await billing.counts()

    answer = await billing.call("POST", f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=parent(family.id), json={})

    assert answer.status == 422
    assert "adresse e-mail" in answer.fields["email"]
    assert await billing.counts() == before


async def test_staff_record_a_cheque_on_the_oldest_invoices_first_and_can_refund_it(
        billing: Billing) -> None:
    family, first = await invoiced(billing, days=1)
    family, second = await invoiced(billing, days=2, family=family)
    path = f"/families/{family.id}/payments/offline"

    too_much = await billing.call("POST", path, headers=staff(), json={
        "method": "cheque", "amount_cents": 3001, "received_on": "2027-07-01"})
    by_parent = await billing.call("POST", path, headers=parent(family.id), json={
        "method": "cheque", "amount_cents": 100, "received_on": "2027-07-01"})
    recorded = await billing.call("POST", path, headers=staff(), json={
        "method": "cheque", "amount_cents": 1500, "received_on": "2027-07-01",
        "reference": "Chèque n° 1234567"})

    assert too_much.status == 422 and "doit encore (30,00" in too_much.fields["amount_cents"]
    assert by_parent.status == 403
    assert recorded.status == 201, recorded.body
    assert (recorded.body["state"], recorded.body["method"]) == ("validated", "cheque")
    assert [(i["number"], i["amount_cents"]) for i in recorded.body["invoices"]] == [
        (first["number"], 1000), (second["number"], 500)]
    assert (await billing.invoice(family, first["id"]))["state"] == "paid"
    assert (await billing.invoice(family, second["id"]))["state"] == "partially_paid"
    assert len(await events_of(billing, "billing.payment_succeeded", recorded.body["id"])) == 1

    refunded = await billing.call("POST", f"/payments/{recorded.body['id']}/refund",
                                  headers=staff(), json={"reason": "Chèque rejeté"})
    twice = await billing.call("POST", f"/payments/{recorded.body['id']}/refund",
                               headers=staff(), json={"reason": "Encore"})
    assert refunded.body["state"] == "refunded"
    assert twice.status == 409
    assert (await billing.invoice(family, first["id"]))["state"] == "to_pay"
    balance = (await billing.call("GET", f"/families/{family.id}/balance",
                                  headers=parent(family.id))).body
    assert (balance["invoiced_cents"], balance["paid_cents"], balance["due_cents"]) == (
        3000, 0, 3000)


async def test_staff_cannot_pay_online_for_a_family(billing: Billing) -> None:
    family, invoice = await invoiced(billing)

    answer = await billing.call("POST", f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=staff(), json={})

    assert answer.status == 403


async def test_a_notification_for_an_unknown_operation_changes_nothing(billing: Billing) -> None:
    before = await billing.counts()

    unknown = await billing.call("GET", "/payfip/notifications?idop=inconnue-123")
    bad = await billing.call("GET", "/payfip/notifications?idop=%00")
    missing = await billing.call("POST", "/payfip/notifications", data={})

    assert unknown.status == 200
    assert bad.status == 422 and missing.status == 422
    assert await billing.counts() == before
