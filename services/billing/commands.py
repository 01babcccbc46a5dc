"""Commands of `python -m services.billing`: the monthly invoicing run, the demo data."""

import argparse
import json
import sys

from services.billing.app import MIGRATIONS
from services.billing.fields import parse_month
from services.billing.invoicing import run
from services.billing.seed import seed_demo
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
                                 due_days=settings.due_days)
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


COMMANDS = [
    ("invoice", "issue the invoices of a month (--preview: only show them)", configure_invoice,
     invoice_command),
    ("seed-demo", "tariffs of the demo units, the demo family's invoice (idempotent)",
     configure_seed_demo, seed_demo_command),
]
