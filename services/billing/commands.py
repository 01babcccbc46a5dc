"""Commands of `python -m services.billing`: the monthly invoicing run, the demo data."""

import argparse
import json
import sys
import time
import uuid

from services.billing.app import MIGRATIONS
from services.billing.fields import parse_month
from services.billing.invoicing import repo as invoicing_repo
from services.billing.invoicing import run
from services.billing.scale import generate, write
from services.billing.seed import demo_tariffs, seed_demo
from services.billing.sepa.debits import DebitTerms
from services.billing.settings import Settings
from services.common.db import database
from services.common.settings import ServiceSettings


def configure_invoice(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="the month to invoice, YYYY-MM")
    parser.add_argument("--preview", action="store_true",
                        help="only show what would be issued")


async def invoice_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    assert isinstance(settings, Settings)
    try:
        month = parse_month(args.month)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    async with database(settings, MIGRATIONS) as pool, pool.acquire() as conn:
        if args.preview:
            plan = await run.draft(conn, month)
            print(json.dumps({"month": args.month, "invoices": len(plan.invoices),
                              "credit_notes": len(plan.credits),
                              "total_cents": plan.total_cents,
                              "unpriced_lines": sum(u.lines for u in plan.unpriced)}))
            return 0
        issued = await run.issue(conn, month=month, actor="command-line",
                                 due_days=settings.due_days, terms=DebitTerms.of(settings))
    print(json.dumps({"month": args.month, "invoices": len(issued.invoices),
                      "credit_notes": len(issued.credit_notes),
                      "total_cents": issued.total_cents,
                      "first": issued.invoices[0] if issued.invoices else None,
                      "last": issued.invoices[-1] if issued.invoices else None}))
    return 0


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    assert isinstance(settings, Settings)
    async with database(settings, MIGRATIONS) as pool:
        created = await seed_demo(pool, settings)
    print(json.dumps(created))
    return 0


def configure_seed_scale(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--families", type=int, required=True,
                        help="how many families to add (1 to 1,000,000)")
    parser.add_argument("--month", required=True, help="the month of their lines, YYYY-MM")
    parser.add_argument("--invoice", action="store_true",
                        help="then run the month's invoicing (its invoice_issued events wait "
                             "in the outbox of this database like a real run's)")


async def seed_scale_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    """Generated families and their month's billable lines in BILLING_DATABASE (a database of
    its own: never the demo's nor production's), the demo tariffs when it has none, and the
    month's invoices with --invoice."""
    assert isinstance(settings, Settings)
    if settings.env == "production":
        print("seed-scale refuses to run in production", file=sys.stderr)
        return 2
    try:
        month = parse_month(args.month)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if not 1 <= args.families <= 1_000_000:
        print("--families: 1 to 1,000,000", file=sys.stderr)
        return 2
    started = time.perf_counter()
    async with database(settings, MIGRATIONS) as pool, pool.acquire() as conn:
        if not await conn.fetchval("SELECT count(*) FROM tariffs"):
            for tariff in demo_tariffs():
                await invoicing_repo.insert_tariff(conn, uuid.uuid4(), tariff)
        families, lines = generate(month, args.families, min_lines=4, max_lines=20,
                                   seed=int(time.time()))
        await write(conn, families, lines)
        invoices = 0
        if args.invoice:
            issued = await run.issue(conn, month=month, actor="seed-scale",
                                     due_days=settings.due_days)
            invoices = len(issued.invoices)
    print(json.dumps({"database": settings.database, "families": len(families),
                      "lines": len(lines), "invoices": invoices,
                      "seconds": round(time.perf_counter() - started, 1)}))
    return 0


COMMANDS = [
    ("invoice", "issue the invoices of a month (--preview: only show them)", configure_invoice,
     invoice_command),
    ("seed-demo", "tariffs of the demo units, the demo family's invoice (idempotent)",
     configure_seed_demo, seed_demo_command),
    ("seed-scale", "add N generated families and their month's billable lines (bulk COPY), "
     "then --invoice the month, to measure invoicing and the lists at scale; set "
     "BILLING_DATABASE to a database of its own", configure_seed_scale, seed_scale_command),
]
