"""Event handlers: every event that calls for mails goes to the notifier."""

from aiohttp import web

from services.common.bus import Handler
from services.notifier import keys
from services.notifier.compose import COMPOSERS


def handlers(app: web.Application) -> dict[str, Handler]:
    """One handler for every event type with mails (auth's, families'; later billing's…)."""
    notifier = app[keys.NOTIFIER]
    return dict.fromkeys(COMPOSERS, notifier.notify)
