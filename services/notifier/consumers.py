"""Event handlers: every event that calls for mails goes to the notifier."""

from aiohttp import web

from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.notifier import keys
from services.notifier.compose import COMPOSERS


def handlers(app: web.Application) -> dict[str, Handler]:
    """One handler for every event type with mails (auth's, families'; later billing's…).

    The notifier is looked up at each event, not here: the dead-letter command lists these
    event types from an app that was never started.
    """

    async def notify(conn: Conn, envelope: Envelope) -> None:
        await app[keys.NOTIFIER].notify(conn, envelope)

    return dict.fromkeys(COMPOSERS, notify)
