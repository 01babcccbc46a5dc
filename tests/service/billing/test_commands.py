"""`python -m services.billing invoice --month` and `seed-demo`, as an operator runs them."""

import asyncio
import json
import sys
from datetime import date, timedelta

import asyncpg

from services.billing.seed import DEMO_CHEQUE_CENTS
from services.billing.settings import Settings
from services.common.demo import DEMO_FAMILY_ID
from tests.service.billing.helpers import Billing, fresh_month, line, new_unit
from tests.support import RUN, settings_for


async def command(*args: str, database: str) -> tuple[int, str]:
    env = {"BILLING_DATABASE": database, "PORTAIL_ENV": "test", "PORTAIL_LOG_LEVEL": "WARNING"}
    import os

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.billing", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, (out or err).decode()


async def test_the_invoice_command_previews_then_issues_a_month(billing: Billing) -> None:
    month = fresh_month()
    unit = new_unit()
    await billing.tariff(unit, [(None, 1000)])
    family = await billing.family()
    child = family.child("Léa", date(2019, 1, 1))
    await billing.book(family, [line(family, child, unit, month + timedelta(days=d))
                                for d in range(2)])
    database = f"test_{RUN}_billing_svc"

    status, preview = await command("invoice", "--month", f"{month:%Y-%m}", "--preview",
                                    database=database)
    assert status == 0, preview
    assert json.loads(preview) | {} == {"month": f"{month:%Y-%m}", "invoices": 1,
                                        "credit_notes": 0, "total_cents": 2000,
                                        "unpriced_lines": 0}
    status, issued = await command("invoice", "--month", f"{month:%Y-%m}", database=database)
    assert status == 0, issued
    assert json.loads(issued)["invoices"] == 1
    assert len(await billing.invoices_of(family)) == 1

    status, message = await command("invoice", "--month", "2030-13", database=database)
    assert status == 2 and "Mois invalide" in message


async def test_seed_demo_prices_every_demo_unit_invoices_and_pays_the_demo_family_once(
) -> None:
    database = f"test_{RUN}_billing_seed"

    first = await command("seed-demo", database=database)
    second = await command("seed-demo", database=database)

    assert first[0] == 0 and second[0] == 0, (first, second)
    assert json.loads(first[1])["tariffs"] == 7
    assert json.loads(first[1])["invoice"].startswith("F-")
    assert json.loads(first[1])["payment"]
    assert json.loads(second[1]) == {"tariffs": 0, "invoice": None, "payment": None}
    settings = settings_for(Settings, database=database)
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        invoices = await conn.fetch("SELECT family_id, total_cents FROM invoices")
        payments = await conn.fetch("SELECT family_id, method, state, amount_cents "
                                    "FROM payments")
    finally:
        await conn.close()
    assert [r["family_id"] for r in invoices] == [DEMO_FAMILY_ID]
    assert invoices[0]["total_cents"] > DEMO_CHEQUE_CENTS
    # One payment, part of the invoice: the rest is the demo parent's to pay online.
    assert [dict(r) for r in payments] == [{"family_id": DEMO_FAMILY_ID, "method": "cheque",
                                            "state": "validated",
                                            "amount_cents": DEMO_CHEQUE_CENTS}]


async def test_seed_scale_writes_families_and_lines_then_invoices_them() -> None:
    # Issue 15, point 3: invoices at scale from a command (a database of its own).
    database = f"test_{RUN}_billing_scale"
    status, out = await command("seed-scale", "--families", "40", "--month", "2030-03",
                                "--invoice", database=database)
    assert status == 0, out
    seeded = json.loads(out)
    assert seeded["families"] == 40 and seeded["invoices"] == 40
    assert 4 * 40 <= seeded["lines"] <= 20 * 40
    settings = settings_for(Settings, database=database)
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        numbers = [r["number"] for r in await conn.fetch(
            "SELECT number FROM invoices ORDER BY number")]
        year = numbers[0][2:6]  # the year they are issued in
        assert numbers == [f"F-{year}-{n:06d}" for n in range(1, 41)]  # no gap, no duplicate
        assert await conn.fetchval("SELECT count(*) FROM invoice_items") == seeded["lines"]
    finally:
        await conn.close()
    status, message = await command("seed-scale", "--families", "0", "--month", "2030-03",
                                    database=database)
    assert status == 2 and "1 to 1,000,000" in message
