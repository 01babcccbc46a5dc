"""Events billing consumes: its read models of families (QF, name, address) and of reservation
lines (what is billable). Each applies a state only when its entity_version is newer."""

import logging

from aiohttp import web

from services.billing import repo
from services.common.bus import Handler
from services.common.db import Conn
from services.common.events import Envelope
from services.common.events.families import FamilyUpdated
from services.common.events.reservations import (
    Cancelled,
    Line,
    LineDecided,
    ReservationSubmitted,
    WaitlistOffered,
)

log = logging.getLogger(__name__)


async def on_family_updated(conn: Conn, envelope: Envelope) -> None:
    event = FamilyUpdated.of(envelope)
    address = event.address
    await repo.upsert_family(conn, {
        "id": event.family_id, "name": event.name, "email": event.email,
        "address_line1": address.line1 if address else None,
        "address_line2": address.line2 if address else None,
        "postal_code": address.postal_code if address else None,
        "city": address.city if address else None,
        "qf": event.qf, "entity_version": event.entity_version,
    })


async def keep_line(conn: Conn, line: Line) -> None:
    applied = await repo.upsert_line(conn, {
        "id": line.line_id, "reservation_id": line.reservation_id,
        "reservation_number": line.reservation_number, "family_id": line.family_id,
        "child_id": line.child_id, "child_first_name": line.child_first_name,
        "child_last_name": line.child_last_name, "child_birth_date": line.child_birth_date,
        "date": line.date, "unit_id": line.unit_id, "unit_label": line.unit_label,
        "establishment_id": line.establishment_id,
        "establishment_name": line.establishment_name, "kind": line.kind,
        "state": line.state, "late": line.late, "billable": line.billable,
        "entity_version": line.entity_version,
    })
    if not applied:
        log.info("stale line state ignored", extra={
            "line_id": str(line.line_id), "entity_version": line.entity_version})


async def on_reservation_submitted(conn: Conn, envelope: Envelope) -> None:
    event = ReservationSubmitted.of(envelope)
    await repo.know_family(conn, event.family_id, name=event.family_name, email=event.email)
    for line in event.lines:
        await keep_line(conn, line)


async def on_line_decided(conn: Conn, envelope: Envelope) -> None:
    event = LineDecided.of(envelope)
    await repo.know_family(conn, event.line.family_id, name=event.family_name,
                           email=event.email)
    await keep_line(conn, event.line)


async def on_cancelled(conn: Conn, envelope: Envelope) -> None:
    event = Cancelled.of(envelope)
    await keep_line(conn, event.line)


async def on_waitlist_offered(conn: Conn, envelope: Envelope) -> None:
    await keep_line(conn, WaitlistOffered.of(envelope).line)


def handlers(app: web.Application) -> dict[str, Handler]:
    return {
        FamilyUpdated.TYPE: on_family_updated,
        ReservationSubmitted.TYPE: on_reservation_submitted,
        LineDecided.TYPE: on_line_decided,
        Cancelled.TYPE: on_cancelled,
        WaitlistOffered.TYPE: on_waitlist_offered,
    }
