"""The month's invoicing run at scale: 10,000 generated families (BENCH_BILLING_FAMILIES) with
4 to 20 billable lines each, in billing's read models; the preview (draft, reads only) and the
run that issues every invoice (numbers, items, events in the outbox) in one transaction;
target < 60 s for the run. A database of its own, dropped afterwards."""

import os
import time
from datetime import date

from bench.cases._billing import billing_database, generate, write
from bench.common import Run
from services.billing.invoicing import run as invoicing_run

FAMILIES = int(os.environ.get("BENCH_BILLING_FAMILIES", "10000"))
TARGET_S = 60.0
MONTH = date(2030, 3, 1)


async def main(run: Run) -> None:
    async with billing_database("billing_run") as (_, pool):
        started = time.perf_counter()
        families, lines = generate(MONTH, FAMILIES, min_lines=4, max_lines=20)
        async with pool.acquire() as conn:
            await write(conn, families, lines)
        run.note(f"{len(families)} families and {len(lines)} billable lines generated and "
                 f"written in {time.perf_counter() - started:.1f} s (set-up, not timed)")
        async with pool.acquire() as conn:
            started = time.perf_counter()
            plan = await invoicing_run.draft(conn, MONTH)
            draft_s = time.perf_counter() - started
            run.record({"name": "preview (draft of every invoice)", "families": FAMILIES,
                        "lines": len(lines), "invoices": len(plan.invoices),
                        "seconds": round(draft_s, 2)})
            started = time.perf_counter()
            issued = await invoicing_run.issue(conn, month=MONTH, actor="bench", due_days=30)
            run_s = time.perf_counter() - started
            events = await conn.fetchval("SELECT count(*) FROM outbox")
            items = await conn.fetchval("SELECT count(*) FROM invoice_items")
        run.record({"name": "invoicing run (issue)", "families": FAMILIES, "lines": len(lines),
                    "invoices": len(issued.invoices), "items": items, "events": events,
                    "first": issued.invoices[0], "last": issued.invoices[-1],
                    "seconds": round(run_s, 2)},
                   target=f"< {TARGET_S:.0f} s", met=run_s < TARGET_S)
    run.note("One transaction: the month's lines read and priced, the numbers taken in one "
             "block, invoices and items written with COPY, one invoice_issued event per "
             "invoice in the outbox; on this shared 2-CPU machine.")
