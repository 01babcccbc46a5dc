"""SEPA direct debit (issue 14): the IBAN checked, the mandate signed with the code e-mailed to
the family, revoked or replaced; debits planned on new invoices and pre-notified in time; the
month's batch and its pain.008 file (valid against the ISO 20022 schema); a paid debit settles
the invoice, a bank return makes it « à régler » again and tells the family; the IBAN in no
answer but the bank file, no event, no log line, no mail."""

import json
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sepaxml
import xmlschema

from services.billing import keys
from services.billing.fields import PARIS
from services.billing.sepa import debits
from services.billing.sepa.debits import DebitTerms, planned_date
from services.common.events import Envelope
from services.notifier.compose import COMPOSERS
from services.notifier.mails import Renderer
from services.notifier.settings import Settings as NotifierSettings
from tests.service.billing.helpers import (
    Billing,
    Family,
    fresh_month,
    line,
    new_unit,
    parent,
    staff,
)

IBAN = "FR1420041010050500013M02606"
IBAN_SPACED = "FR14 2004 1010 0505 0001 3M02 606"
OTHER_IBAN = "DE89370400440532013000"
PAIN008_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


async def outbox(billing: Billing, event_type: str, **match: str) -> list[dict[str, Any]]:
    async with billing.db.acquire() as conn:
        rows = await conn.fetch("SELECT data FROM outbox WHERE type = $1 ORDER BY created_at",
                                event_type)
    found = [json.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]
    return [d for d in found if all(d.get(k) == v for k, v in match.items())]


async def code_of(billing: Billing, mandate_id: str) -> str:
    sent = await outbox(billing, "billing.mandate_code_requested", mandate_id=mandate_id)
    return str(sent[-1]["code"])


async def start(billing: Billing, family: Family, iban: str = IBAN_SPACED) -> dict[str, Any]:
    answer = await billing.call("POST", f"/families/{family.id}/mandates",
                                headers=parent(family.id),
                                json={"holder": "Camille Martin", "iban": iban})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


async def signed(billing: Billing, family: Family, iban: str = IBAN_SPACED) -> dict[str, Any]:
    mandate = await start(billing, family, iban)
    answer = await billing.call(
        "POST", f"/families/{family.id}/mandates/{mandate['id']}/signature",
        headers=parent(family.id), json={"code": await code_of(billing, mandate["id"])})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


async def invoice_with_mandate(billing: Billing, *, price: int = 1000, days: int = 3
                               ) -> tuple[Family, dict[str, Any], dict[str, Any]]:
    """A family that signed a mandate, then got an invoice."""
    family = await billing.family()
    mandate = await signed(billing, family)
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, [(None, price)])
    child = family.child("Léa", date(2019, 1, 1))
    await billing.book(family, [line(family, child, unit, month.replace(day=d + 1))
                                for d in range(days)])
    await billing.run(month)
    invoice = next(i for i in await billing.invoices_of(family) if i["month"] == f"{month}")
    return family, mandate, invoice


# ---- the IBAN -------------------------------------------------------------------------------

@pytest.mark.parametrize(("iban", "message"), [
    ("FR1420041010050500013M02607", "clé de contrôle"),
    ("FR14200410100505000", "longueur attendue pour son pays (FR)"),
    ("FR1420041010050500013M026061", "longueur attendue"),
    ("SA0380000000608010167519", "zone SEPA"),
    ("", "Saisissez l'IBAN"),
    ("FR14-2004", "que des lettres et des chiffres"),
])
async def test_a_wrong_iban_is_refused_in_french_and_writes_nothing(
        billing: Billing, iban: str, message: str) -> None:
    family = await billing.family()
    before = await billing.counts()

    answer = await billing.call("POST", f"/families/{family.id}/mandates",
                                headers=parent(family.id),
                                json={"holder": "Camille Martin", "iban": iban})

    assert answer.status == 422, answer.body
    assert message in answer.fields["iban"]
    assert await billing.counts() == before


async def test_a_valid_iban_is_kept_and_only_shown_masked(billing: Billing) -> None:
    family = await billing.family()

    mandate = await start(billing, family, IBAN_SPACED.lower())

    assert mandate["iban_masked"] == "FR14 •••• •••• 2606"
    assert mandate["bic"] == "PSSTFRPP"
    assert mandate["state"] == "pending"
    assert mandate["rum"].startswith("PF-")
    assert IBAN not in json.dumps(mandate)
    view = await billing.call("GET", f"/families/{family.id}/direct-debit",
                              headers=parent(family.id))
    assert IBAN not in json.dumps(view.body)
    assert view.body["creditor"]["ics"] == "FR72ZZZ123456"


# ---- the signature --------------------------------------------------------------------------

async def test_the_code_emailed_signs_the_mandate(billing: Billing) -> None:
    family = await billing.family()
    mandate = await start(billing, family)
    sent = await outbox(billing, "billing.mandate_code_requested", mandate_id=mandate["id"])
    assert len(sent) == 1 and sent[0]["email"] == family.email
    assert len(sent[0]["code"]) == 6 and sent[0]["code"].isdigit()

    answer = await billing.call(
        "POST", f"/families/{family.id}/mandates/{mandate['id']}/signature",
        headers=parent(family.id), json={"code": sent[0]["code"]})

    assert answer.status == 200, answer.body
    assert answer.body["state"] == "active" and answer.body["signed_at"]
    view = await billing.call("GET", f"/families/{family.id}/direct-debit",
                              headers=parent(family.id))
    assert view.body["active"]["rum"] == mandate["rum"]
    assert view.body["pending"] is None
    async with billing.db.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM mandate_codes WHERE mandate_id = $1",
                                   uuid.UUID(mandate["id"])) == 0
    assert await outbox(billing, "billing.mandate_signed", mandate_id=mandate["id"])


async def test_a_wrong_code_is_counted_and_the_attempts_are_limited(billing: Billing) -> None:
    family = await billing.family()
    mandate = await start(billing, family)
    code = await code_of(billing, mandate["id"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    path = f"/families/{family.id}/mandates/{mandate['id']}/signature"

    first = await billing.call("POST", path, headers=parent(family.id), json={"code": wrong})
    assert first.status == 422
    assert first.fields["code"] == "Code incorrect. Il vous reste 4 essais."
    for _ in range(4):
        await billing.call("POST", path, headers=parent(family.id), json={"code": wrong})

    blocked = await billing.call("POST", path, headers=parent(family.id), json={"code": code})
    assert blocked.status == 429
    assert "Demandez un nouveau code" in blocked.body["title"]
    view = await billing.call("GET", f"/families/{family.id}/direct-debit",
                              headers=parent(family.id))
    assert view.body["active"] is None


async def test_an_expired_code_signs_nothing(billing: Billing) -> None:
    family = await billing.family()
    mandate = await start(billing, family)
    code = await code_of(billing, mandate["id"])
    async with billing.db.acquire() as conn:
        await conn.execute("UPDATE mandate_codes SET expires_at = now() - interval '1 second' "
                           "WHERE mandate_id = $1", uuid.UUID(mandate["id"]))

    answer = await billing.call(
        "POST", f"/families/{family.id}/mandates/{mandate['id']}/signature",
        headers=parent(family.id), json={"code": code})

    assert answer.status == 409
    assert "expiré" in answer.body["title"]


async def test_a_new_code_waits_a_minute(billing: Billing) -> None:
    family = await billing.family()
    mandate = await start(billing, family)
    path = f"/families/{family.id}/mandates/{mandate['id']}/code"

    answer = await billing.call("POST", path, headers=parent(family.id))

    assert answer.status == 429
    assert "Attendez" in answer.body["title"]
    async with billing.db.acquire() as conn:
        await conn.execute("UPDATE mandate_codes SET sent_at = now() - interval '2 minutes' "
                           "WHERE mandate_id = $1", uuid.UUID(mandate["id"]))
    again = await billing.call("POST", path, headers=parent(family.id))
    assert again.status == 200, again.body
    sent = await outbox(billing, "billing.mandate_code_requested", mandate_id=mandate["id"])
    assert len(sent) == 2


async def test_mandates_asked_too_often_are_refused(billing: Billing) -> None:
    family = await billing.family()
    for _ in range(5):
        await start(billing, family)
    before = await billing.counts()

    answer = await billing.call("POST", f"/families/{family.id}/mandates",
                                headers=parent(family.id),
                                json={"holder": "Camille Martin", "iban": IBAN})

    assert answer.status == 429
    assert "Trop de demandes" in answer.body["title"]
    assert await billing.counts() == before


async def test_staff_cannot_sign_for_a_family(billing: Billing) -> None:
    family = await billing.family()

    answer = await billing.call("POST", f"/families/{family.id}/mandates", headers=staff(),
                                json={"holder": "Camille Martin", "iban": IBAN})

    assert answer.status == 403


async def test_a_new_mandate_replaces_the_active_one_and_takes_its_debits(
        billing: Billing) -> None:
    family, _, invoice = await invoice_with_mandate(billing)

    second = await signed(billing, family, OTHER_IBAN)

    view = await billing.call("GET", f"/families/{family.id}/direct-debit",
                              headers=parent(family.id))
    assert view.body["active"]["id"] == second["id"]
    assert [m["state"] for m in view.body["former"]] == ["replaced"]
    assert view.body["former"][0]["replaced_by"] == second["id"]
    async with billing.db.acquire() as conn:
        assert await conn.fetchval("SELECT mandate_id FROM debits WHERE invoice_id = $1",
                                   uuid.UUID(invoice["id"])) == uuid.UUID(second["id"])
        # A new RUM: the family is pre-notified again, with it.
        await debits.prenotify_due(conn, settings=billing.server.app[keys.SETTINGS])
    sent = await outbox(billing, "billing.debit_prenotified", invoice_id=invoice["id"])
    assert sent[-1]["rum"] == second["rum"]


async def test_a_revoked_mandate_stops_future_debits(billing: Billing) -> None:
    family, mandate, invoice = await invoice_with_mandate(billing)
    assert invoice["direct_debit"]["state"] == "planned"

    answer = await billing.call(
        "POST", f"/families/{family.id}/mandates/{mandate['id']}/revocation",
        headers=parent(family.id))

    assert answer.status == 200 and answer.body["state"] == "revoked"
    refreshed = await billing.invoice(family, invoice["id"])
    assert refreshed["direct_debit"] is None
    assert refreshed["state"] == "to_pay"


# ---- debits and pre-notification ------------------------------------------------------------

def test_the_debit_day_leaves_the_notice_or_moves_after_it() -> None:
    terms = DebitTerms(prenotice_days=14, debit_day=10)

    assert planned_date(date(2040, 1, 20), terms) == date(2040, 2, 10)
    assert planned_date(date(2040, 1, 26), terms) == date(2040, 2, 10)
    # Too late for the 10th with 14 days' notice: the issue day + 14.
    assert planned_date(date(2040, 1, 1), terms) == date(2040, 1, 15)
    assert planned_date(date(2040, 1, 28), terms) == date(2040, 2, 11)


async def test_a_new_invoice_is_marked_for_debit_and_prenotified_once_in_time(
        billing: Billing) -> None:
    family, mandate, invoice = await invoice_with_mandate(billing, price=1250)
    issued_on = datetime.fromisoformat(invoice["issued_at"]).astimezone(PARIS).date()
    planned_on = date.fromisoformat(invoice["direct_debit"]["planned_on"])
    assert planned_on == planned_date(issued_on, DebitTerms())
    assert planned_on - issued_on >= timedelta(days=14)
    issued = await outbox(billing, "billing.invoice_issued", invoice_id=invoice["id"])
    assert issued[0]["direct_debit_on"] == f"{planned_on}"

    async with billing.db.acquire() as conn:
        await debits.prenotify_due(conn, settings=billing.server.app[keys.SETTINGS])
        await debits.prenotify_due(conn, settings=billing.server.app[keys.SETTINGS])

    sent = await outbox(billing, "billing.debit_prenotified", invoice_id=invoice["id"])
    assert len(sent) == 1
    assert sent[0]["amount_cents"] == 3750
    assert sent[0]["planned_on"] == f"{planned_on}"
    assert sent[0]["rum"] == mandate["rum"]
    assert sent[0]["ics"] == "FR72ZZZ123456"
    assert sent[0]["email"] == family.email


async def test_a_late_prenotification_moves_the_debit_day(billing: Billing) -> None:
    family, _, invoice = await invoice_with_mandate(billing)
    planned_on = date.fromisoformat(invoice["direct_debit"]["planned_on"])
    # The job ran only 5 days before the planned day (it was stopped).
    late = datetime.combine(planned_on - timedelta(days=5), datetime.min.time(),
                            tzinfo=PARIS).astimezone(UTC) + timedelta(hours=12)
    async with billing.db.acquire() as conn:
        await conn.execute("UPDATE debits SET prenotified_at = now() WHERE state = 'planned' "
                           "AND prenotified_at IS NULL AND invoice_id <> $1",
                           uuid.UUID(invoice["id"]))
        await debits.prenotify_due(conn, settings=billing.server.app[keys.SETTINGS], now=late)

    sent = await outbox(billing, "billing.debit_prenotified", invoice_id=invoice["id"])
    assert sent[0]["planned_on"] == f"{planned_on + timedelta(days=9)}"
    refreshed = await billing.invoice(family, invoice["id"])
    assert refreshed["direct_debit"]["planned_on"] == f"{planned_on + timedelta(days=9)}"


# ---- the batch, its file, the settlement and the returns ------------------------------------

async def batched(billing: Billing) -> tuple[Family, dict[str, Any], dict[str, Any],
                                             dict[str, Any]]:
    family, mandate, invoice = await invoice_with_mandate(billing)
    async with billing.db.acquire() as conn:
        await debits.prenotify_due(conn, settings=billing.server.app[keys.SETTINGS])
    planned_on = date.fromisoformat(invoice["direct_debit"]["planned_on"])
    month = f"{planned_on:%Y-%m}"
    listing = await billing.call("GET", f"/direct-debits?month={month}", headers=staff())
    assert listing.status == 200, listing.body
    mine = [d for d in listing.body["debits"] if d["invoice_id"] == invoice["id"]]
    assert mine and mine[0]["iban_masked"] == "FR14 •••• •••• 2606"
    assert IBAN not in json.dumps(listing.body)
    batch = await billing.call("POST", "/direct-debits/batches", headers=staff(),
                               json={"month": month})
    assert batch.status == 201, batch.body
    return family, mandate, invoice, batch.body


async def test_the_batch_file_is_a_valid_pain008_with_the_debits(billing: Billing) -> None:
    _, mandate, invoice, batch = await batched(billing)

    answer = await billing.call("GET", f"/direct-debits/batches/{batch['id']}/file",
                                headers=staff())

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    xml = answer.body
    schema = xmlschema.XMLSchema(PAIN008_XSD)
    schema.validate(xml)  # raises when the file breaks the ISO 20022 schema
    data = schema.to_dict(xml)
    initiation = data["CstmrDrctDbtInitn"]
    assert initiation["GrpHdr"]["MsgId"] == batch["message_id"]
    transactions = [(info, tx) for info in initiation["PmtInf"]
                    for tx in info["DrctDbtTxInf"]]
    ours = [(info, tx) for info, tx in transactions
            if tx["PmtId"]["EndToEndId"] == invoice["number"]]
    assert len(ours) == 1
    info, tx = ours[0]
    assert info["PmtMtd"] == "DD"
    assert info["PmtTpInf"]["SeqTp"] == "FRST"
    assert info["PmtTpInf"]["LclInstrm"]["Cd"] == "CORE"
    assert info["ReqdColltnDt"] == invoice["direct_debit"]["planned_on"]
    creditor_id = info["CdtrSchmeId"]["Id"]["PrvtId"]["Othr"][0]["Id"]
    assert creditor_id == "FR72ZZZ123456"
    assert float(tx["InstdAmt"]["$"]) == invoice["total_cents"] / 100
    assert tx["DrctDbtTx"]["MndtRltdInf"]["MndtId"] == mandate["rum"]
    assert tx["DbtrAcct"]["Id"]["IBAN"] == IBAN
    assert tx["Dbtr"]["Nm"] == "Camille Martin"
    again = await billing.call("POST", "/direct-debits/batches", headers=staff(),
                               json={"month": invoice["direct_debit"]["planned_on"][:7]})
    assert again.status == 409


async def test_a_paid_debit_settles_the_invoice_and_a_return_makes_it_to_pay_again(
        billing: Billing) -> None:
    family, _, invoice, _ = await batched(billing)
    planned_on = date.fromisoformat(invoice["direct_debit"]["planned_on"])
    async with billing.db.acquire() as conn:
        await debits.settle_due(conn, today=planned_on)
    paid = await billing.invoice(family, invoice["id"])
    assert paid["state"] == "paid"
    assert paid["direct_debit"]["state"] == "paid"
    assert [p["method"] for p in paid["payments"]] == ["direct_debit"]

    answer = await billing.call("POST", "/direct-debits/returns", headers=staff(),
                                json={"invoice_number": invoice["number"], "code": "AM04"})

    assert answer.status == 200, answer.body
    assert answer.body["state"] == "rejected"
    assert answer.body["return_label"] == "provision insuffisante"
    returned = await billing.invoice(family, invoice["id"])
    assert returned["state"] == "to_pay"
    assert returned["amount_due_cents"] == invoice["total_cents"]
    assert returned["direct_debit"]["state"] == "rejected"
    assert returned["direct_debit"]["return_code"] == "AM04"
    told = await outbox(billing, "billing.debit_rejected", invoice_id=invoice["id"])
    assert len(told) == 1 and told[0]["reason"] == "provision insuffisante"
    twice = await billing.call("POST", "/direct-debits/returns", headers=staff(),
                               json={"invoice_number": invoice["number"], "code": "AM04"})
    assert twice.status == 409


async def test_an_invoice_with_the_bank_is_not_paid_online_too(billing: Billing) -> None:
    family, _, invoice, _ = await batched(billing)

    refreshed = await billing.invoice(family, invoice["id"])
    answer = await billing.call("POST", f"/families/{family.id}/invoices/{invoice['id']}/payments",
                                headers=parent(family.id), json={})

    assert refreshed["payable_online"] is False
    assert answer.status == 409
    assert "en cours de prélèvement" in answer.body["title"]


async def test_a_return_before_the_debit_day_leaves_the_invoice_to_pay(
        billing: Billing) -> None:
    family, _, invoice, _ = await batched(billing)

    answer = await billing.call("POST", "/direct-debits/returns", headers=staff(),
                                json={"invoice_number": invoice["number"], "code": "MS02"})

    assert answer.status == 200, answer.body
    async with billing.db.acquire() as conn:
        await debits.settle_due(conn, today=date(2100, 1, 1))
    refreshed = await billing.invoice(family, invoice["id"])
    assert refreshed["state"] == "to_pay"
    assert refreshed["direct_debit"]["return_label"] == "refus du débiteur"


async def test_a_return_of_an_unknown_invoice_is_refused(billing: Billing) -> None:
    before = await billing.counts()

    answer = await billing.call("POST", "/direct-debits/returns", headers=staff(),
                                json={"invoice_number": "F-1999-000001", "code": "AC04"})

    assert answer.status == 422
    assert "Aucun prélèvement" in answer.fields["invoice_number"]
    assert await billing.counts() == before


# ---- the IBAN stays in the bank file --------------------------------------------------------

async def test_the_iban_is_in_no_log_event_or_mail(billing: Billing,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    family, _, invoice, _ = await batched(billing)
    planned_on = date.fromisoformat(invoice["direct_debit"]["planned_on"])
    async with billing.db.acquire() as conn:
        await debits.settle_due(conn, today=planned_on)
    await billing.call("POST", "/direct-debits/returns", headers=staff(),
                       json={"invoice_number": invoice["number"], "code": "AC04"})

    forms = {IBAN, IBAN_SPACED, IBAN[4:], IBAN[-10:]}
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert all(form not in logged for form in forms)
    async with billing.db.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM outbox WHERE data->>'family_id' = $1",
                                str(family.id))
    types = {r["type"] for r in rows}
    assert {"billing.mandate_code_requested", "billing.mandate_signed",
            "billing.debit_prenotified", "billing.debit_rejected"} <= types
    renderer = Renderer(NotifierSettings())
    for row in rows:
        data = row["data"] if isinstance(row["data"], str) else json.dumps(row["data"])
        assert all(form not in data for form in forms)
        envelope = Envelope(id=row["id"], type=row["type"], version=row["version"],
                            occurred_at=row["occurred_at"], producer=row["producer"],
                            data=json.loads(data))
        for mail in COMPOSERS[row["type"]](envelope, renderer):
            message = renderer.message(mail, event_id=envelope.id, now=datetime.now(UTC))
            text = message.as_string()
            assert all(form not in text for form in forms), row["type"]
