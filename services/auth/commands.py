"""Commands of `python -m services.auth`: create a staff account, seed the demo accounts."""

import argparse
import json
import sys

from services.auth import accounts
from services.auth.app import MIGRATIONS
from services.auth.service import AuthContext
from services.auth.settings import Settings
from services.common.db import database
from services.common.settings import ServiceSettings


def configure_create_staff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", choices=["staff", "admin"], default="staff")
    parser.add_argument("--name", help="the agent's name as the journal shows it "
                                       "(« Sophie Durand »)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (else: e-mail an "
                             "invitation link)")


async def create_staff(args: argparse.Namespace, settings: ServiceSettings) -> int:
    assert isinstance(settings, Settings)
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    ctx = AuthContext.from_settings(settings)
    async with database(settings, MIGRATIONS) as pool:
        try:
            account = await accounts.create_staff(ctx, pool, email=args.email, role=args.role,
                                                  password=password, name=args.name)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(json.dumps({"id": str(account["id"]), "email": account["email"],
                      "role": account["role"], "status": account["status"]}))
    if account["status"] == "invited":
        print("invitation link queued for e-mail", file=sys.stderr)
    return 0


def configure_seed_demo(parser: argparse.ArgumentParser) -> None:
    pass


async def seed_demo(args: argparse.Namespace, settings: ServiceSettings) -> int:
    assert isinstance(settings, Settings)
    ctx = AuthContext.from_settings(settings)
    async with database(settings, MIGRATIONS) as pool:
        seeded = await accounts.seed_demo(ctx, pool)
    for account in seeded:
        print(json.dumps({"id": str(account["id"]), "email": account["email"],
                          "role": account["role"]}))
    return 0


COMMANDS = [
    ("create-staff", "create a staff or admin account", configure_create_staff, create_staff),
    ("seed-demo", "create the demo parent and agent accounts (idempotent)", configure_seed_demo,
     seed_demo),
]
