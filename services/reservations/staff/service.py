"""Staff use cases: the requests queue, a decision per line (places re-checked, a refusal
frees the place for the waiting list), attendance lists."""

import uuid
from datetime import datetime

from services.common.db import Conn
from services.common.errors import Conflict, NotFound
from services.common.pagination import decode_cursor, page
from services.reservations import events
from services.reservations.catalogue.service import Actor, audit
from services.reservations.households import repo as households_repo
from services.reservations.planning.board import Cell
from services.reservations.staff import repo
from services.reservations.staff.schemas import (
    AttendanceEntry,
    AttendanceOut,
    AttendanceQuery,
    DecidedLine,
    DecisionIn,
    RequestOut,
    RequestPage,
    RequestsQuery,
)
from services.reservations.submissions import repo as lines_repo
from services.reservations.waitlist import repo as places
from services.reservations.waitlist import service as waitlist
from services.reservations.waitlist.service import Deltas, move

ALREADY_DECIDED = "Cette demande a déjà été traitée."
NO_PLACE = ("Plus de place disponible ce jour-là (la capacité a été réduite) : "
            "la demande ne peut pas être acceptée.")


async def requests_queue(conn: Conn, query: RequestsQuery) -> RequestPage:
    after = decode_cursor(query.cursor, (datetime, uuid.UUID))
    rows = await repo.requests(conn, establishment_id=query.establishment_id,
                               period_id=query.period_id, after=after, limit=query.limit + 1)
    items, cursor = page([dict(r) for r in rows], query.limit,
                         lambda r: (r["created_at"], r["line_id"]))
    return RequestPage(items=[RequestOut.model_validate(r) for r in items],
                       next_cursor=cursor)


async def decide_line(conn: Conn, *, line_id: uuid.UUID, body: DecisionIn, actor: Actor,
                      now: datetime) -> DecidedLine:
    """Accept or refuse a requested line. Locks in the order of every decision: the child,
    the cell, the lines. A booking request holds a place already: accepting re-checks that
    the cell still has it (capacity may have been lowered); refusing frees it for the
    waiting list. An accepted cancellation cancels its booking (late: billed if the period
    bills late cancellations) and frees the place."""
    line = await lines_repo.get_line(conn, line_id)
    if line is None:
        raise NotFound("Ligne introuvable.")
    key = (line["unit_id"], line["day"])
    accept = body.decision == "accept"
    async with conn.transaction():
        await households_repo.lock_children_of_family(conn, line["family_id"],
                                                      [line["child_id"]])
        cells = await places.lock_cells(conn, line["period_id"], [key])
        wanted = [line_id] + ([line["cancels_line_id"]] if line["cancels_line_id"] else [])
        locked = await lines_repo.lock_lines(conn, wanted)
        line = locked[line_id]
        if line["state"] != "requested":
            raise Conflict(ALREADY_DECIDED)
        deltas: Deltas = {}
        freed = False
        cancelled: list[uuid.UUID] = []
        if line["kind"] == "book" and accept and cells:
            row = cells[0]
            cell = Cell(capacity=row["capacity"], capacity_under6=row["capacity_under6"],
                        capacity_over6=row["capacity_over6"], taken=row["taken"] - 1,
                        taken_under6=row["taken_under6"] - int(line["under6"]),
                        taken_over6=row["taken_over6"] - int(not line["under6"]))
            if not cell.has_room(line["under6"]):
                raise Conflict(NO_PLACE)
        if line["kind"] == "book" and not accept:
            move(deltas, key, under6=line["under6"], places=-1)
            freed = True
        if line["kind"] == "cancel" and accept:
            target = locked[line["cancels_line_id"]]
            if target["state"] in ("accepted", "requested", "offered"):
                move(deltas, key, under6=target["under6"], places=-1)
                freed = True
            if target["state"] != "cancelled":
                cancelled.append(target["id"])
        touched = await lines_repo.set_state(conn, [line_id], "accepted" if accept else "refused",
                                             comment=body.comment, decided_at=now,
                                             decided_by=actor.sub)
        touched |= await lines_repo.set_state(conn, cancelled, "cancelled", decided_at=now,
                                              decided_by=actor.sub, late=True)
        await places.apply_deltas(conn, line["period_id"], deltas)
        await lines_repo.refresh_states(conn, touched)
        await events.line_decided(conn, line_id=line_id, previous_state="requested")
        decided = await repo.decided(conn, line_id)
        assert decided is not None
        if cancelled:
            await events.cancelled(conn, line_ids=cancelled,
                                   by_reservation_number=decided["number"])
        if freed:
            await waitlist.offer_freed_places(conn, period_id=line["period_id"], cells=[key],
                                              now=now)
        await audit(conn, actor, "line.decided", target_type="line", target_id=line_id,
                    details={"decision": body.decision, "comment": body.comment})
        decided = await repo.decided(conn, line_id)
    assert decided is not None
    return DecidedLine(line_id=decided["id"], kind=decided["kind"], state=decided["state"],
                       comment=decided["comment"], decided_at=decided["decided_at"],
                       decided_by=decided["decided_by"],
                       reservation_number=decided["number"],
                       reservation_state=decided["reservation_state"])


async def attendance(conn: Conn, query: AttendanceQuery) -> AttendanceOut:
    rows = await repo.attendance(conn, query.establishment_id, query.date, query.unit_id)
    return AttendanceOut(establishment_id=query.establishment_id, date=query.date,
                         items=[AttendanceEntry.model_validate(dict(r)) for r in rows])
