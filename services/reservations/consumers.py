"""Events the reservations service consumes: the families' state, kept as a read model."""

from aiohttp import web

from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.common.events.families import ChildCreated, ChildUpdated, FamilyUpdated
from services.reservations.households import service


async def on_family_updated(conn: Conn, envelope: Envelope) -> None:
    """Inside the consumer's transaction, which records the event id (a redelivery does
    nothing); an event older than the state held changes nothing either."""
    event = FamilyUpdated.of(envelope)
    await service.apply_family(conn, family_id=event.family_id, name=event.name,
                               email=event.email, version=event.entity_version)


async def on_child_changed(conn: Conn, envelope: Envelope) -> None:
    event = (ChildCreated if envelope.type == ChildCreated.TYPE else ChildUpdated).of(envelope)
    await service.apply_child(conn, child_id=event.child_id, family_id=event.family_id,
                              first_name=event.first_name, last_name=event.last_name,
                              birth_date=event.birth_date, school_level=event.school_level,
                              version=event.entity_version)


def handlers(app: web.Application) -> dict[str, Handler]:
    return {
        FamilyUpdated.TYPE: on_family_updated,
        ChildCreated.TYPE: on_child_changed,
        ChildUpdated.TYPE: on_child_changed,
    }
