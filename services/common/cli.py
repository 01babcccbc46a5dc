"""Command line shared by every service: serve, migrate, dead letters, plus its own commands."""

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from services.common import keys
from services.common.bus import Bus, list_dead_letters, queue_name, replay_dead_letters
from services.common.db import prepare_database
from services.common.log import setup_logging
from services.common.settings import ServiceSettings
from services.common.web import run

AppFactory = Callable[..., web.Application]
# A service's own command: receives its parsed arguments and settings.
Command = Callable[[argparse.Namespace, ServiceSettings], Coroutine[Any, Any, int]]
Configure = Callable[[argparse.ArgumentParser], None]


def main(
    *,
    create_app: AppFactory,
    settings: ServiceSettings,
    migrations: Path,
    commands: Sequence[tuple[str, str, Configure, Command]] = (),
    argv: Sequence[str] | None = None,
) -> int:
    """`python -m services.<name> [serve|migrate|dead-letters …|<command> …]`."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{settings.service_name}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="serve HTTP and consume events (default)")
    sub.add_parser("migrate", help="create the database if needed and apply migrations")
    dead = sub.add_parser("dead-letters", help="list or replay the events that kept failing")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("--id", help="replay only the event with this id")
    own: dict[str, Command] = {}
    for name, help_text, configure, command in commands:
        configure(sub.add_parser(name, help=help_text))
        own[name] = command
    args = parser.parse_args(argv)
    setup_logging(settings.service_name, settings.log_level)

    if args.command in (None, "serve"):
        if settings.workers > 1:  # migrated once here, before the workers start together
            asyncio.run(prepare_database(settings, migrations))
        return run(create_app(settings=settings), host=settings.host, port=settings.port,
                   workers=settings.workers)
    if args.command == "migrate":
        applied = asyncio.run(prepare_database(settings, migrations))
        print(json.dumps({"applied": applied}))
        return 0
    if args.command == "dead-letters":
        return asyncio.run(_dead_letters(create_app(settings=settings), settings, args))
    return asyncio.run(own[args.command](args, settings))


async def _dead_letters(app: web.Application, settings: ServiceSettings,
                        args: argparse.Namespace) -> int:
    if keys.HANDLERS not in app:
        print("this service consumes no events", file=sys.stderr)
        return 1
    bus = Bus(settings.amqp_url, settings.namespace)
    await bus.connect()
    try:
        queues = [queue_name(settings.namespace, settings.service_name, event_type)
                  for event_type in app[keys.HANDLERS](app)]
        if args.action == "list":
            letters = await list_dead_letters(bus, queues)
        else:
            letters = await replay_dead_letters(bus, queues, message_id=args.id)
            letters = [x for x in letters if args.id is None or x.message_id == args.id]
        for letter in letters:
            print(json.dumps(asdict(letter), ensure_ascii=False))
        verb = "replayed" if args.action == "replay" else "dead letter(s)"
        print(f"{len(letters)} {verb}", file=sys.stderr)
        return 0
    finally:
        await bus.close()
