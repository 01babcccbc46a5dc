"""Events the families service consumes: the contact e-mail follows the parent's login."""

from aiohttp import web

from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.common.events.auth import EmailChanged
from services.families import service


async def on_email_changed(conn: Conn, envelope: Envelope) -> None:
    """Already inside the consumer's transaction, which records the event id: a second
    delivery of the same event does nothing."""
    event = EmailChanged.of(envelope)
    if event.family_id is None:  # a staff account: no family file to follow
        return
    await service.follow_login_email(conn, family_id=event.family_id, new_email=event.new_email,
                                     version=event.entity_version)


def handlers(app: web.Application) -> dict[str, Handler]:
    return {EmailChanged.TYPE: on_email_changed}
