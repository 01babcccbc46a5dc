"""PES V2 ORMC export (issue 14, point 3): a month's issued invoices in one file per batch,
numbered in sequence, each invoice in one batch only, frozen once sent; the file's totals are
the invoices' and it follows the published layout (services/billing/pes/structure.py: the
DGFiP's XSD is out of our documentation search's reach)."""

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import asyncpg
import pytest

from services.billing.pes import builder, structure
from services.billing.pes.service import CREDITED, DEBITED, NO_ADDRESS, PAID
from tests.service.billing.helpers import (
    Billing,
    Family,
    fresh_month,
    line,
    new_unit,
    parent,
    staff,
)
from tests.service.billing.test_direct_debit import invoice_with_mandate

PES = "{http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller}PES_Aller"


async def month_of_invoices(billing: Billing, days: list[int], *, price: int = 1250,
                            address: bool = True, month: date | None = None
                            ) -> tuple[date, list[Family]]:
    """A month of its own (or `month`) with one invoice per family: `days[i]` days at
    `price`."""
    month = month or fresh_month()
    unit = new_unit("Journée", "Accueil de loisirs Les Pins")
    await billing.tariff(unit, [(None, price)])
    families = []
    for count in days:
        family = await billing.family(address=address)
        child = family.child("Léa", date(2019, 1, 1))
        await billing.book(family, [line(family, child, unit, month.replace(day=d + 1))
                                    for d in range(count)])
        families.append(family)
    await billing.run(month)
    return month, families


async def prepare(billing: Billing, month: date) -> dict[str, Any]:
    answer = await billing.call("POST", "/pes/batches", headers=staff(),
                                json={"month": f"{month:%Y-%m}"})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


async def download(billing: Billing, batch: dict[str, Any]) -> bytes:
    async with billing.http.get(billing.url(f"/pes/batches/{batch['id']}/file"),
                                headers=staff()) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/xml; charset=ISO-8859-1"
        assert f'filename="{batch["filename"]}"' in resp.headers["Content-Disposition"]
        assert resp.headers["ETag"] == f'"{batch["file_sha256"]}"'
        return await resp.read()


async def send(billing: Billing, batch: dict[str, Any]) -> dict[str, Any]:
    answer = await billing.call("POST", f"/pes/batches/{batch['id']}/sent", headers=staff())
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 -- the service's own file


def cents(value: str | None) -> int:
    return int(Decimal(value or "0") * 100)


def invoices_of_month(items: list[dict[str, Any]], month: date) -> list[dict[str, Any]]:
    return [i for i in items if i["month"] == f"{month}"]


async def test_the_files_totals_equal_the_invoices(billing: Billing) -> None:
    month, families = await month_of_invoices(billing, [3, 2, 5])
    invoices = [invoices_of_month(await billing.invoices_of(f), month)[0] for f in families]
    # One day of the first invoice credited, 20,00 € of the third paid at the desk: their
    # pieces claim the rest, as the invoices say.
    first = await billing.invoice(families[0], invoices[0]["id"])
    note = await billing.call("POST", f"/invoices/{first['id']}/credit-notes", headers=staff(),
                              json={"reason": "Absence justifiée",
                                    "item_ids": [first["items"][0]["id"]]})
    assert note.status == 201, note.body
    paid = await billing.call("POST", f"/families/{families[2].id}/payments/offline",
                              headers=staff(), json={"method": "cash", "amount_cents": 2000,
                                                     "received_on": f"{month}"})
    assert paid.status == 201, paid.body
    invoices = [invoices_of_month(await billing.invoices_of(f), month)[0] for f in families]
    due = {i["number"]: i["amount_due_cents"] for i in invoices}
    assert list(due.values()) == [3750 - 1250, 2500, 6250 - 2000]

    batch = await prepare(billing, month)
    xml = await download(billing, batch)
    await send(billing, batch)

    root = parse(xml)
    block = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    assert block is not None
    pieces = root.findall("PES_RecetteAller/Bordereau/Piece")
    assert {p.find("BlocPiece/NumeroFacture").get("V"): sum(  # type: ignore[union-attr]
        cents(m.get("V")) for m in p.findall("LigneDePiece/BlocLignePiece/InfoLignePiece/MtHT"))
        for p in pieces} == due
    assert cents(block.find("MtBordHt").get("V")) == sum(due.values())  # type: ignore[union-attr]
    assert block.find("NbrPce").get("V") == "3"  # type: ignore[union-attr]
    assert batch["total_cents"] == sum(due.values())
    assert {i["invoice_number"]: i["amount_cents"] for i in batch["items"]} == due


async def test_the_file_follows_the_pes_layout(billing: Billing) -> None:
    month, (family,) = await month_of_invoices(billing, [2])

    batch = await prepare(billing, month)
    xml = await download(billing, batch)
    await send(billing, batch)

    assert structure.problems(xml) == []
    root = parse(xml)
    assert root.tag == PES
    assert xml.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")

    def v(path: str) -> str | None:
        found = root.find(path)
        return found.get("V") if found is not None else None

    assert v("Enveloppe/Parametres/TypFic") == "PESORMC"
    assert v("Enveloppe/Parametres/NomFic") == batch["filename"]
    assert v("EnTetePES/IdColl") == "20003065800013"
    assert v("EnTetePES/CodCol") == "034"
    assert v("EnTetePES/CodBud") == "01"
    assert v("PES_RecetteAller/Bordereau/BlocBordereau/TypBord") == "06"
    assert v("PES_RecetteAller/Bordereau/BlocBordereau/Exer") == str(month.year)
    assert v("PES_RecetteAller/Bordereau/BlocBordereau/IdBord") == f"{batch['seq']:07d}"
    piece = "PES_RecetteAller/Bordereau/Piece/"
    assert v(piece + "BlocPiece/TypPce") == "15"
    assert v(piece + "LigneDePiece/BlocLignePiece/InfoLignePiece/ObjLignePce") == \
        builder.text(f"Accueil de loisirs Les Pins {builder.month_words(month)}", 160)
    assert v(piece + "LigneDePiece/BlocLignePiece/InfoLignePiece/CodProdLoc") == "70"
    assert v(piece + "LigneDePiece/BlocLignePiece/InfoLignePiece/Fonction") == "421"
    assert v(piece + "BlocPiece/DebFact") == f"{month}"
    assert v(piece + "BlocPiece/FinFact") == f"{builder.last_day(month)}"
    assert v(piece + "LigneDePiece/Tiers/InfoTiers/Nom") == \
        builder.text(family.name.removeprefix("Famille "), 38)
    assert v(piece + "LigneDePiece/Tiers/Adresse/Adr2") == "12 RUE DES OLIVIERS"
    assert v(piece + "LigneDePiece/Tiers/Adresse/CP") == "34800"
    assert v(piece + "LigneDePiece/Tiers/Adresse/Ville") == "CLERMONT-L HERAULT"


def test_the_structure_check_finds_what_the_accountant_would_reject() -> None:
    place = builder.Collectivity("20003065800013", "034", "01", "Service Jeunesse", "034012",
                                 "Service Jeunesse")
    debtor = builder.Debtor("Martin", None, "12 rue des Oliviers", None, "34800", "Clermont")
    good = builder.build(place, builder.Batch(
        2040, 7, date(2040, 1, 1), date(2040, 2, 1), builder.filename(place, 2040, 7),
        [builder.Piece(1, "F-2040-000001", debtor, [
            builder.Line("Accueil de loisirs janvier 2040", "70", "588", 1050)])]))
    assert structure.problems(good) == []

    wrong_total = good.replace(b'MtBordHt V="10.50"', b'MtBordHt V="10.51"')
    three_decimals = good.replace(b'MtHT V="10.50"', b'MtHT V="10.500"')
    no_debtor = good.replace(b'<Nom V="MARTIN" />', b"")
    lower_case = good.replace(b'"MARTIN"', b'"Martin"')
    wrong_key = good.replace(b'Cle2 V="', b'Cle2 V="Z')

    assert "MtBordHt differs from the sum of the lines" in structure.problems(wrong_total)
    assert structure.problems(three_decimals)
    assert any("Nom missing" in p for p in structure.problems(no_debtor))
    assert structure.problems(lower_case)
    assert structure.problems(wrong_key)


async def test_batches_are_numbered_in_sequence_per_year(billing: Billing) -> None:
    # Years no other test exports: the budget's numbers there start at 1.
    months = [date(2098, 3, 1), date(2098, 4, 1), date(2099, 1, 1)]
    for month in months:
        await month_of_invoices(billing, [1], month=month)

    sent = [await send(billing, await prepare(billing, month)) for month in months]

    assert [(b["year"], b["seq"]) for b in sent] == [(2098, 1), (2098, 2), (2099, 1)]
    assert [b["filename"] for b in sent] == [
        "ORMC034012098" + "0000001.xml", "ORMC034012098" + "0000002.xml",
        "ORMC034012099" + "0000001.xml"]


async def test_two_agents_preparing_at_once_make_one_batch(billing: Billing) -> None:
    month, _ = await month_of_invoices(billing, [1, 2])

    answers = await asyncio.gather(*[
        billing.call("POST", "/pes/batches", headers=staff(), json={"month": f"{month:%Y-%m}"})
        for _ in range(4)])

    assert {a.status for a in answers} == {201}
    assert len({(a.body["id"], a.body["seq"]) for a in answers}) == 1
    assert {a.body["pieces"] for a in answers} == {2}
    await send(billing, answers[0].body)


async def test_an_invoice_is_exported_once(billing: Billing) -> None:
    month, _ = await month_of_invoices(billing, [2])
    first = await send(billing, await prepare(billing, month))
    before = await billing.counts()

    again = await billing.call("POST", "/pes/batches", headers=staff(),
                               json={"month": f"{month:%Y-%m}"})

    assert again.status == 409
    assert again.body["title"].startswith("Aucune facture de")
    assert await billing.counts() == before
    # A late invoice of the same month goes to a batch of its own.
    unit = new_unit()
    await billing.tariff(unit, [(None, 700)])
    late = await billing.family()
    child = late.child("Tom", date(2018, 2, 2))
    await billing.book(late, [line(late, child, unit, month.replace(day=20))])
    await billing.run(month)
    preview = (await billing.call("GET", f"/pes/preview?month={month:%Y-%m}",
                                  headers=staff())).body
    assert [p["family_id"] for p in preview["pieces"]] == [str(late.id)]
    assert [b["id"] for b in preview["batches"]] == [first["id"]]
    second = await send(billing, await prepare(billing, month))
    assert [i["family_id"] for i in second["items"]] == [str(late.id)]
    # The database holds the rule too.
    async with billing.db.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError):
            await conn.execute(
                "INSERT INTO pes_batch_invoices (batch_id, invoice_id, piece, amount_cents) "
                "VALUES ($1, $2, 9, 100)", second["id"], first["items"][0]["invoice_id"])


async def test_a_sent_batch_never_changes(billing: Billing) -> None:
    month, _ = await month_of_invoices(billing, [2])
    batch = await prepare(billing, month)
    xml = await download(billing, batch)
    sent = await send(billing, batch)
    assert sent["status"] == "sent" and sent["sent_by"] and sent["sent_at"]
    before = await billing.counts()

    twice = await billing.call("POST", f"/pes/batches/{batch['id']}/sent", headers=staff())
    dropped = await billing.call("DELETE", f"/pes/batches/{batch['id']}", headers=staff())

    assert twice.status == 409 and "déjà été marqué comme envoyé" in twice.body["title"]
    assert dropped.status == 409
    assert await billing.counts() == before
    assert await download(billing, batch) == xml
    async with billing.db.acquire() as conn:
        for statement in ("UPDATE pes_batches SET total_cents = 1 WHERE id = $1",
                          "DELETE FROM pes_batches WHERE id = $1",
                          "DELETE FROM pes_batch_invoices WHERE batch_id = $1"):
            with pytest.raises(asyncpg.IntegrityConstraintViolationError):
                await conn.execute(statement, batch["id"])


async def test_a_draft_is_rebuilt_under_its_number(billing: Billing) -> None:
    month, (family,) = await month_of_invoices(billing, [3])
    draft = await prepare(billing, month)
    invoice = await billing.invoice(family, draft["items"][0]["invoice_id"])
    await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes", headers=staff(),
                       json={"reason": "Erreur", "item_ids": [invoice["items"][0]["id"]]})

    stale = await billing.call("POST", f"/pes/batches/{draft['id']}/sent", headers=staff())
    rebuilt = await prepare(billing, month)

    assert stale.status == 409 and "préparez de nouveau le fichier" in stale.body["title"]
    assert (rebuilt["id"], rebuilt["seq"]) == (draft["id"], draft["seq"])
    assert rebuilt["total_cents"] == draft["total_cents"] - 1250
    await send(billing, rebuilt)


async def test_a_file_rebuilt_since_its_download_is_not_marked_sent(billing: Billing) -> None:
    month, (family,) = await month_of_invoices(billing, [2])
    first = await prepare(billing, month)
    await download(billing, first)
    invoice = await billing.invoice(family, first["items"][0]["invoice_id"])
    await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes", headers=staff(),
                       json={"reason": "Erreur", "item_ids": [invoice["items"][0]["id"]]})
    rebuilt = await prepare(billing, month)
    path = f"/pes/batches/{first['id']}/sent"

    old = await billing.call("POST", path, headers={
        **staff(), "If-Match": f'"{first["file_sha256"]}"'})
    garbled = await billing.call("POST", path, headers={**staff(), "If-Match": '"abc"'})
    current = await billing.call("POST", path, headers={
        **staff(), "If-Match": f'"{rebuilt["file_sha256"]}"'})

    assert rebuilt["file_sha256"] != first["file_sha256"]
    assert old.status == 409 and "préparé de nouveau" in old.body["title"]
    assert garbled.status == 400
    assert current.status == 200 and current.body["status"] == "sent"


async def test_one_draft_at_a_time_and_a_dropped_one_gives_back_its_number(
        billing: Billing) -> None:
    first_month, _ = await month_of_invoices(billing, [1])
    second_month, _ = await month_of_invoices(billing, [1])
    draft = await prepare(billing, first_month)

    blocked = await billing.call("POST", "/pes/batches", headers=staff(),
                                 json={"month": f"{second_month:%Y-%m}"})
    dropped = await billing.call("DELETE", f"/pes/batches/{draft['id']}", headers=staff())
    second = await prepare(billing, second_month)

    assert blocked.status == 409 and "est en préparation" in blocked.body["title"]
    assert dropped.status == 204
    if second["year"] == draft["year"]:
        assert second["seq"] == draft["seq"]
    await send(billing, second)


async def test_invoices_that_cannot_be_titled_are_left_out_with_the_reason(
        billing: Billing) -> None:
    month, families = await month_of_invoices(billing, [2, 1, 1])
    credited = invoices_of_month(await billing.invoices_of(families[0]), month)[0]
    await billing.call("POST", f"/invoices/{credited['id']}/credit-notes", headers=staff(),
                       json={"reason": "Annulation"})
    paid = await billing.call("POST", f"/families/{families[2].id}/payments/offline",
                              headers=staff(), json={"method": "cheque", "amount_cents": 1250,
                                                     "received_on": f"{month}"})
    assert paid.status == 201, paid.body
    no_address = await billing.family(address=False)
    unit = new_unit()
    await billing.tariff(unit, [(None, 900)])
    child = no_address.child("Noé", date(2018, 3, 3))
    await billing.book(no_address, [line(no_address, child, unit, month.replace(day=9))])
    await billing.run(month)

    preview = (await billing.call("GET", f"/pes/preview?month={month:%Y-%m}",
                                  headers=staff())).body

    assert [p["family_id"] for p in preview["pieces"]] == [str(families[1].id)]
    assert preview["total_cents"] == 1250
    assert {e["family_id"]: e["reason"] for e in preview["excluded"]} == {
        str(families[0].id): CREDITED, str(families[2].id): PAID,
        str(no_address.id): NO_ADDRESS}
    await send(billing, await prepare(billing, month))


async def test_an_invoice_our_sepa_debit_collects_is_left_out(billing: Billing) -> None:
    family, _, invoice = await invoice_with_mandate(billing)
    month = date.fromisoformat(invoice["month"])

    preview = (await billing.call("GET", f"/pes/preview?month={month:%Y-%m}",
                                  headers=staff())).body

    assert preview["pieces"] == []
    assert [(e["family_id"], e["reason"]) for e in preview["excluded"]] == [
        (str(family.id), DEBITED)]


async def test_a_month_without_invoices_has_nothing_to_export(billing: Billing) -> None:
    month = fresh_month()
    before = await billing.counts()

    answer = await billing.call("POST", "/pes/batches", headers=staff(),
                                json={"month": f"{month:%Y-%m}"})
    preview = await billing.call("GET", f"/pes/preview?month={month:%Y-%m}", headers=staff())

    assert answer.status == 409
    assert "Aucune facture de" in answer.body["title"]
    assert preview.status == 200 and preview.body["pieces"] == []
    assert await billing.counts() == before


async def test_a_bad_month_is_a_clear_400(billing: Billing) -> None:
    answer = await billing.call("POST", "/pes/batches", headers=staff(),
                                json={"month": "2040-13"})

    assert answer.status in (400, 422)
    assert "Mois invalide" in str(answer.body)


async def test_a_parent_reaches_no_pes_route(billing: Billing) -> None:
    month, (family,) = await month_of_invoices(billing, [1])
    batch = await prepare(billing, month)
    before = await billing.counts()
    try:
        for method, path, body in [
                ("GET", f"/pes/preview?month={month:%Y-%m}", None),
                ("GET", "/pes/batches", None),
                ("POST", "/pes/batches", {"month": f"{month:%Y-%m}"}),
                ("GET", f"/pes/batches/{batch['id']}", None),
                ("GET", f"/pes/batches/{batch['id']}/file", None),
                ("POST", f"/pes/batches/{batch['id']}/sent", None),
                ("DELETE", f"/pes/batches/{batch['id']}", None)]:
            answer = await billing.call(method, path, headers=parent(family.id), json=body)
            assert answer.status == 403, (method, path)
        assert await billing.counts() == before
    finally:
        await send(billing, batch)
