"""Commands of `python -m services.families`: seed the demo family."""

import argparse
import json

from services.common.db import database
from services.common.demo import DEMO_FAMILY_ID
from services.common.settings import ServiceSettings
from services.families.app import MIGRATIONS
from services.families.seed import seed_demo


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo_command(args: argparse.Namespace, settings: ServiceSettings) -> int:
    async with database(settings, MIGRATIONS) as pool:
        created = await seed_demo(pool)
    print(json.dumps({"family_id": str(DEMO_FAMILY_ID), "created": created}))
    return 0


COMMANDS = [
    ("seed-demo", "create the demo family and its children (idempotent)", configure_seed_demo,
     seed_demo_command),
]
