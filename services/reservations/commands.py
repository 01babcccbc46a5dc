"""Commands of `python -m services.reservations`: the demo data."""

import argparse
import json

from services.common.db import database
from services.common.settings import ServiceSettings
from services.reservations.app import MIGRATIONS
from services.reservations.seed import seed_demo


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    async with database(settings, MIGRATIONS) as pool:
        created = await seed_demo(pool)
    print(json.dumps(created))
    return 0


COMMANDS = [
    ("seed-demo", "create the demo catalogue, periods and history (idempotent)",
     configure_seed_demo, seed_demo_command),
]
