"""Events the auth service consumes: a new family's parent is invited."""

from aiohttp import web

from services.auth import accounts, keys
from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.common.events.families import FamilyCreated


def handlers(app: web.Application) -> dict[str, Handler]:
    ctx = app[keys.CONTEXT]

    async def on_family_created(conn: Conn, envelope: Envelope) -> None:
        await accounts.family_created(ctx, conn, FamilyCreated.of(envelope))

    return {FamilyCreated.TYPE: on_family_created}
