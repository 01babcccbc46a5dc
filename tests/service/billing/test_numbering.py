"""Numbers F-YYYY-NNNNNN and A-YYYY-NNNNNN: sequential per year, no gap, no duplicate, even with
two runs at once or an issuer that rolls back; issued documents never change."""

import asyncio
import re
from datetime import date, timedelta

import asyncpg
import pytest

from services.billing.invoicing import numbering
from tests.service.billing.helpers import Billing, fresh_month, line, new_unit, parent, staff

BRACKETS = [(None, 1000)]


async def assert_gapless(conn: asyncpg.Connection, table: str, prefix: str) -> None:
    """Every number of every year in `table`: 1…n in order, each once, matching its seq."""
    rows = await conn.fetch(f"SELECT number, year, seq FROM {table} ORDER BY year, seq")
    by_year: dict[int, list[int]] = {}
    for row in rows:
        assert row["number"] == f"{prefix}-{row['year']}-{row['seq']:06d}"
        by_year.setdefault(row["year"], []).append(row["seq"])
    for seqs in by_year.values():
        assert seqs == list(range(1, len(seqs) + 1))


async def test_two_runs_at_once_bill_each_line_once_with_gapless_numbers(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    families = [await billing.family() for _ in range(12)]
    for family in families:
        child = family.child("Léa", date(2019, 1, 1))
        await billing.book(family, [line(family, child, unit, month + timedelta(days=d))
                                    for d in range(3)])

    first, second = await asyncio.gather(billing.run(month), billing.run(month))

    assert sorted([first["invoices"], second["invoices"]]) == [0, 12]
    async with billing.db.acquire() as conn:
        await assert_gapless(conn, "invoices", "F")
        per_family = await conn.fetch(
            "SELECT family_id, count(*) AS n FROM invoices WHERE month = $1 GROUP BY family_id",
            month)
        billed = await conn.fetchval(
            "SELECT count(*) FROM invoice_items it JOIN invoices i ON i.id = it.invoice_id "
            "WHERE i.month = $1", month)
    assert {r["family_id"] for r in per_family} == {f.id for f in families}
    assert {r["n"] for r in per_family} == {1}
    assert billed == 36


async def test_a_rolled_back_issuer_leaves_no_gap_and_the_waiting_one_continues(
        billing: Billing) -> None:
    first = await billing.db.acquire()
    second = await billing.db.acquire()
    try:
        year = 2999  # a year of this test's own
        tx1 = first.transaction()
        await tx1.start()
        assert await numbering.take(first, "A", year, 3) == [1, 2, 3]

        async def take_second() -> list[int]:
            async with second.transaction():
                return await numbering.take(second, "A", year, 2)

        waiting = asyncio.create_task(take_second())
        # The second issuer is blocked on the counter row while the first holds it.
        await asyncio.wait({waiting}, timeout=0.5)
        assert not waiting.done()
        await tx1.rollback()

        assert await waiting == [1, 2]
    finally:
        await billing.db.release(first)
        await billing.db.release(second)


async def test_issued_invoices_and_credit_notes_cannot_be_changed_in_the_database(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family()
    child = family.child("Tom", date(2018, 1, 1))
    await billing.book(family, [line(family, child, unit, month)])
    await billing.run(month)
    invoice = (await billing.invoices_of(family))[0]
    note = await billing.call("POST", f"/invoices/{invoice['id']}/credit-notes",
                              headers=staff(), json={"reason": "Erreur de saisie"})
    assert note.status == 201

    statements = [
        "UPDATE invoices SET total_cents = 0 WHERE id = $1",
        "DELETE FROM invoices WHERE id = $1",
        "UPDATE invoice_items SET price_cents = 0 WHERE invoice_id = $1",
        "DELETE FROM invoice_items WHERE invoice_id = $1",
        "UPDATE credit_notes SET total_cents = 1 WHERE invoice_id = $1",
        "DELETE FROM credit_note_items WHERE credit_note_id IN "
        "(SELECT id FROM credit_notes WHERE invoice_id = $1)",
    ]
    async with billing.db.acquire() as conn:
        for statement in statements:
            with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="immutable"):
                await conn.execute(statement, invoice["id"])
        for table in ("invoices", "invoice_items", "credit_notes", "credit_note_items"):
            with pytest.raises(asyncpg.IntegrityConstraintViolationError):
                await conn.execute(f"TRUNCATE {table} CASCADE")
    shown = await billing.invoice(family, invoice["id"])
    assert (shown["total_cents"], shown["number"]) == (invoice["total_cents"], invoice["number"])


async def test_credit_notes_have_their_own_numbers_and_a_fully_credited_invoice_is_cancelled(
        billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family()
    child = family.child("Zoé", date(2020, 2, 2))
    await billing.book(family, [line(family, child, unit, month + timedelta(days=d))
                                for d in range(3)])
    await billing.run(month)
    invoice = await billing.invoice(family, (await billing.invoices_of(family))[0]["id"])
    first_day = invoice["items"][0]["id"]
    path = f"/invoices/{invoice['id']}/credit-notes"

    partial = await billing.call("POST", path, headers=staff(),
                                 json={"reason": "Absence pour maladie", "item_ids": [first_day]})
    again = await billing.call("POST", path, headers=staff(),
                               json={"reason": "Doublon", "item_ids": [first_day]})
    after_partial = await billing.invoice(family, invoice["id"])
    rest = await billing.call("POST", path, headers=staff(), json={"reason": "Fermeture"})
    nothing_left = await billing.call("POST", path, headers=staff(), json={"reason": "Encore"})
    final = await billing.invoice(family, invoice["id"])

    assert partial.status == 201
    assert re.fullmatch(r"A-\d{4}-\d{6}", partial.body["number"])
    assert partial.body["total_cents"] == 1000
    assert again.status == 422
    assert (after_partial["state"], after_partial["credited_cents"],
            after_partial["amount_due_cents"]) == ("to_pay", 1000, 2000)
    assert rest.status == 201 and rest.body["total_cents"] == 2000
    assert nothing_left.status == 409
    assert (final["state"], final["amount_due_cents"], final["total_cents"]) == (
        "cancelled", 0, 3000)
    assert [n["number"] for n in final["credit_notes"]] == [partial.body["number"],
                                                            rest.body["number"]]
    async with billing.db.acquire() as conn:
        await assert_gapless(conn, "credit_notes", "A")


async def test_a_run_credits_billed_days_cancelled_in_time_afterwards(billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, BRACKETS)
    family = await billing.family()
    child = family.child("Léo", date(2019, 9, 9))
    booked = [line(family, child, unit, month + timedelta(days=d)) for d in range(2)]
    await billing.book(family, booked)
    await billing.run(month)
    await billing.cancel(family, booked[1], billable=False)

    preview = await billing.preview(month)
    run = await billing.run(month)

    assert [(c["items"], c["total_cents"]) for c in preview["credits"]] == [(1, 1000)]
    assert (run["invoices"], run["credit_notes"]) == (0, 1)
    invoice = (await billing.invoices_of(family))[0]
    assert (invoice["credited_cents"], invoice["amount_due_cents"]) == (1000, 1000)
    answer = await billing.call("GET", f"/families/{family.id}/invoices/{invoice['id']}",
                                headers=parent(family.id))
    assert answer.body["credit_notes"][0]["reason"].startswith("Réservations annulées")
