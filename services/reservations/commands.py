"""Commands of `python -m services.reservations`: the demo data, the lotteries due."""

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime

from services.common.db import database
from services.common.settings import ServiceSettings
from services.reservations.app import MIGRATIONS
from services.reservations.lottery.service import draw_due
from services.reservations.scale import seed_scale
from services.reservations.seed import seed_demo


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    async with database(settings, MIGRATIONS) as pool:
        created = await seed_demo(pool)
    print(json.dumps(created))
    return 0


def configure_seed_scale(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--families", type=int, required=True,
                        help="how many families to add (1 to 1,000,000)")


async def seed_scale_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    """Add generated families, children and reservations (RESERVATIONS_DATABASE): never the
    demo's nor production's — no families event made them, no event tells anyone."""
    if settings.env == "production":
        print("seed-scale refuses to run in production", file=sys.stderr)
        return 2
    if not 1 <= args.families <= 1_000_000:
        print("--families: 1 to 1,000,000", file=sys.stderr)
        return 2
    async with database(settings, MIGRATIONS) as pool, pool.acquire() as conn:
        seeded = await seed_scale(conn, families=args.families)
    print(json.dumps({"database": settings.database, **asdict(seeded)}))
    return 0


def configure_draw_due(parser: argparse.ArgumentParser) -> None:
    pass


async def draw_due_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    """Draw the lottery periods past their deadline (for a timer: running it twice, or with
    staff drawing at the same time, draws each period once)."""
    async with database(settings, MIGRATIONS) as pool:
        drawn = await draw_due(pool, now=datetime.now(UTC))
    print(json.dumps({"drawn": [str(p) for p in drawn]}))
    return 0


COMMANDS = [
    ("seed-demo", "create the demo catalogue, periods and history (idempotent)",
     configure_seed_demo, seed_demo_command),
    ("seed-scale", "add N generated families with 1–3 children and a reservation each (bulk "
     "SQL, a period of their own), to measure the staff's lists at scale; set "
     "RESERVATIONS_DATABASE to a database of its own",
     configure_seed_scale, seed_scale_command),
    ("draw-due", "draw every lottery period whose deadline has passed and that is not drawn "
     "yet (the results are mailed); safe to run from a timer",
     configure_draw_due, draw_due_command),
]
