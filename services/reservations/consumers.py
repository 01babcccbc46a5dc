"""Events the reservations service consumes: the families' state, kept as a read model."""

import uuid

from aiohttp import web

from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.common.events.families import (
    ChildCreated,
    ChildLinked,
    ChildUnlinked,
    ChildUpdated,
    Custody,
    FamilyUpdated,
)
from services.reservations.households import service


async def on_family_updated(conn: Conn, envelope: Envelope) -> None:
    """Inside the consumer's transaction, which records the event id (a redelivery does
    nothing); an event older than the state held changes nothing either."""
    event = FamilyUpdated.of(envelope)
    await service.apply_family(conn, family_id=event.family_id, name=event.name,
                               email=event.email, version=event.entity_version)


def _custody(custody: Custody | None) -> tuple[str | None, uuid.UUID | None]:
    """(pattern, household of the even ISO weeks); none when the child has no pattern."""
    if custody is None:
        return None, None
    return custody.pattern, custody.even_weeks_family_id


async def on_child_changed(conn: Conn, envelope: Envelope) -> None:
    """Created, updated or linked to another household: the child's whole state, its
    households and custody included (one version orders every event about a child)."""
    kinds: dict[str, type[ChildCreated | ChildUpdated | ChildLinked]] = {
        ChildCreated.TYPE: ChildCreated, ChildUpdated.TYPE: ChildUpdated,
        ChildLinked.TYPE: ChildLinked}
    event = kinds[envelope.type].of(envelope)
    pattern, even_weeks = _custody(event.custody)
    await service.apply_child(conn, child_id=event.child_id, family_id=event.family_id,
                              first_name=event.first_name, last_name=event.last_name,
                              birth_date=event.birth_date, school_level=event.school_level,
                              version=event.entity_version, family_ids=event.family_ids,
                              custody_pattern=pattern, even_weeks_family_id=even_weeks)


async def on_child_unlinked(conn: Conn, envelope: Envelope) -> None:
    """The household can no longer book the child; its reservations stay its own."""
    event = ChildUnlinked.of(envelope)
    pattern, even_weeks = _custody(event.custody)
    await service.apply_unlinked(conn, child_id=event.child_id, family_ids=event.family_ids,
                                 version=event.entity_version, custody_pattern=pattern,
                                 even_weeks_family_id=even_weeks)


def handlers(app: web.Application) -> dict[str, Handler]:
    return {
        FamilyUpdated.TYPE: on_family_updated,
        ChildCreated.TYPE: on_child_changed,
        ChildUpdated.TYPE: on_child_changed,
        ChildLinked.TYPE: on_child_changed,
        ChildUnlinked.TYPE: on_child_unlinked,
    }
