"""Commands of `python -m services.families`: seed the demo family; a scale fixture."""

import argparse
import json
import sys
from dataclasses import asdict

import asyncpg

from services.common.db import database, prepare_database
from services.common.demo import DEMO_FAMILY_ID
from services.common.settings import ServiceSettings
from services.families.app import MIGRATIONS
from services.families.scale import seed_scale
from services.families.seed import seed_demo


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    async with database(settings, MIGRATIONS) as pool:
        created = await seed_demo(pool)
    print(json.dumps({"family_id": str(DEMO_FAMILY_ID), "created": created}))
    return 0


def configure_seed_scale(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--families", type=int, required=True,
                        help="how many families to add (1 to 1,000,000)")
    parser.add_argument("--seed", type=float, default=0.42,
                        help="seed of the random draws, between -1 and 1 (same seed, same names)")


async def seed_scale_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    """Add generated families to the service's database (FAMILIES_DATABASE): never the demo's
    nor production's — they have no account, and no event tells the other services."""
    if settings.env == "production":
        print("seed-scale refuses to run in production", file=sys.stderr)
        return 2
    if not 1 <= args.families <= 1_000_000 or not -1 <= args.seed <= 1:
        print("--families: 1 to 1,000,000; --seed: -1 to 1", file=sys.stderr)
        return 2
    await prepare_database(settings, MIGRATIONS)
    conn = await asyncpg.connect(settings.database_dsn())
    try:
        seeded = await seed_scale(conn, families=args.families, seed=args.seed)
    finally:
        await conn.close()
    print(json.dumps({"database": settings.database, **asdict(seeded)}))
    return 0


COMMANDS = [
    ("seed-demo", "create the demo family and its children (idempotent)", configure_seed_demo,
     seed_demo_command),
    ("seed-scale", "add N generated families with 1–3 children each (bulk SQL), to measure "
     "the staff's search and lists at scale; set FAMILIES_DATABASE to a database of its own",
     configure_seed_scale, seed_scale_command),
]
