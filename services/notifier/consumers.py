"""Event handlers: every event that calls for mails goes to the notifier."""

from aiohttp import web

from services.common.bus import Handler, OwnTransactions
from services.common.events import Envelope
from services.notifier import keys
from services.notifier.compose import COMPOSERS


def handlers(app: web.Application) -> dict[str, Handler]:
    """One handler for every event type with mails (auth's, families'; later billing's…).

    The notifier is looked up at each event, not here: the dead-letter command lists these
    event types from an app that was never started.
    """

    async def notify(envelope: Envelope) -> None:
        await app[keys.NOTIFIER].notify(envelope)

    # Outside the consumer's transaction: no connection held across an SMTP round trip.
    return dict.fromkeys(COMPOSERS, OwnTransactions(notify))
