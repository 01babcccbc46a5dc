"""Previews and submissions: every line decided at one instant by the rules and the places
left, in one transaction; and reading the family's reservations.

Why no cell ever holds more accepted lines than places, whatever the concurrency: a
submission locks the rows of every cell it touches (`SELECT … FOR UPDATE`) before deciding,
reads their counters under that lock, decides, and moves the counters by what it decided, in
the same transaction. Any other decision on those cells (another submission, a staff
decision, an offer, a capacity change) takes the same row locks first, so it waits, then reads
the counters this one committed. The counter update itself is conditional
(`taken + delta <= capacity`): were a decision ever made on stale counters, the update would
refuse it and the transaction would write nothing.

Lock order, the same in every transaction, so none deadlocks: the idempotency key, the
children (by id), the cells of one period (by unit_id, day), then lines, then the year's
number counter (last, just before commit: it is the one row every submission shares).
"""

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.common.dates import today
from services.common.db import Conn
from services.common.errors import NotFound, ValidationFailed
from services.common.formats import day_label
from services.common.pagination import decode_cursor, page
from services.reservations import events
from services.reservations.catalogue import repo as catalogue_repo
from services.reservations.catalogue import service as catalogue
from services.reservations.catalogue.views import PeriodInfo, period_info
from services.reservations.households import service as households
from services.reservations.households.service import Child
from services.reservations.lottery import repo as lottery_repo
from services.reservations.planning import repo as planning_repo
from services.reservations.planning.board import Board, Decision, decide
from services.reservations.planning.service import board_cells, held_lines
from services.reservations.rules import ACCEPTED, DRAWING, IMPOSSIBLE, REQUESTED, WAITING
from services.reservations.submissions import repo
from services.reservations.submissions.schemas import (
    ChildRef,
    LineOut,
    PreviewLine,
    PreviewOut,
    Ref,
    ReservationOut,
    ReservationPage,
    ReservationsQuery,
    SubmissionIn,
)
from services.reservations.waitlist import repo as places
from services.reservations.waitlist import service as waitlist
from services.reservations.waitlist.service import Deltas, move

Wanted = list[tuple[uuid.UUID, uuid.UUID, Any]]  # (child_id, unit_id, day)

NOTHING_SELECTED = "Aucun jour n'est sélectionné."
SOME_IMPOSSIBLE = "Certains jours ne peuvent pas être demandés."
KEY_REUSED = ("Cette clé d'idempotence a déjà servi pour une autre demande : "
              "utilisez-en une nouvelle.")
RESERVATION_NOT_FOUND = "Réservation introuvable."
LINE_STATE = {ACCEPTED: "accepted", REQUESTED: "requested", WAITING: "waiting",
              "refused": "refused", DRAWING: "drawing"}


def request_hash(body: SubmissionIn) -> str:
    """The body as sent, canonical: the same key with another body is refused."""
    text = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def _wanted(conn: Conn, family_id: uuid.UUID, body: SubmissionIn, period: PeriodInfo
                  ) -> Wanted:
    """The lines asked for, in the order they are decided (day, unit's position, child):
    the body's, or the child's selection."""
    if body.lines is not None:
        wanted = [(line.child_id or body.child_id, line.unit_id, line.date)
                  for line in body.lines]
    else:
        keys = await planning_repo.selection(conn, family_id, body.child_id, body.period_id,
                                             body.kind)
        wanted = [(body.child_id, unit_id, day) for unit_id, day in keys]
    if not wanted:
        raise ValidationFailed(NOTHING_SELECTED)
    position = {u.id: u.position for u in period.units}
    return sorted(wanted, key=lambda w: (w[2], position.get(w[1], 0), str(w[1]), str(w[0])))


async def _boards(conn: Conn, *, family_id: uuid.UUID, period: PeriodInfo,
                  children: dict[uuid.UUID, Child], kind: str, wanted: Wanted, now: datetime,
                  cell_rows: list[asyncpg.Record]) -> dict[uuid.UUID, Board]:
    """One board per child, sharing the cells (siblings compete for the same places)."""
    days = [day for _, _, day in wanted]
    cells = board_cells(cell_rows)
    rows = await planning_repo.lines(conn, list(children), min(days), max(days))
    return {child_id: Board(period=period, child=child, family_id=family_id,
                            kind=kind,  # type: ignore[arg-type]
                            now=now, cells=cells,
                            lines=held_lines([r for r in rows if r["child_id"] == child_id]))
            for child_id, child in children.items()}


def _impossible(decisions: list[Decision], period: PeriodInfo,
                children: dict[uuid.UUID, Child]) -> ValidationFailed | None:
    errors = [{"field": f"lines.{i}", "message": (
        f"{children[d.child_id].first_name}, {day_label(d.day, weekday=True)}, "
        f"{period.labels.get(d.unit_id, '')} : {d.reason}")}
        for i, d in enumerate(decisions) if d.outcome == IMPOSSIBLE]
    return ValidationFailed(SOME_IMPOSSIBLE, errors=errors) if errors else None


async def preview(conn: Conn, *, family_id: uuid.UUID, body: SubmissionIn, now: datetime
                  ) -> PreviewOut:
    """The outcome each line would get now (nothing written, nothing locked)."""
    period = await catalogue.load_period(conn, body.period_id)
    wanted = await _wanted(conn, family_id, body, period)
    children = await households.children_of(
        conn, family_id, [c for c, _, _ in wanted] + [body.child_id], lock=False)
    days = [day for _, _, day in wanted]
    cell_rows = await planning_repo.cells(conn, period.id, min(days), max(days))
    boards = await _boards(conn, family_id=family_id, period=period, children=children,
                           kind=body.kind, wanted=wanted, now=now, cell_rows=cell_rows)
    waiting = await planning_repo.waiting_counts(conn, period.id, min(days), max(days))
    for key, count in waiting.items():
        cell = next(iter(boards.values())).cells.get(key)
        if cell is not None:
            cell.waiting = count
    decisions = decide(boards, wanted, all_or_nothing=body.all_or_nothing)
    return PreviewOut(kind=body.kind, all_or_nothing=body.all_or_nothing, lines=[
        PreviewLine(child_id=d.child_id, date=d.day, unit_id=d.unit_id,
                    unit_label=period.labels.get(d.unit_id, ""), outcome=d.outcome,
                    reason=d.reason, position=d.position) for d in decisions])


async def submit(conn: Conn, *, family_id: uuid.UUID, body: SubmissionIn, actor_sub: str,
                 key: str | None, now: datetime) -> tuple[ReservationOut, bool]:
    """Record a numbered reservation, every line decided now; (reservation, created). The
    same `key` again returns the first reservation (created False)."""
    digest = request_hash(body)
    async with conn.transaction():
        if key is not None and not await repo.claim_key(conn, family_id, key, digest):
            held = await repo.get_key(conn, family_id, key)
            assert held is not None and held["reservation_id"] is not None
            if held["request_hash"] != digest:
                raise ValidationFailed(KEY_REUSED)
            replayed: uuid.UUID = held["reservation_id"]
            return await read_reservation(conn, family_id=family_id,
                                          reservation_id=replayed), False
        period = await catalogue.load_period(conn, body.period_id)
        if period.allocation == "lottery":
            # The draw holds this lock alone: a submission finds the period drawn or not,
            # never half-drawn, and no line awaiting the draw is left out of it.
            await lottery_repo.share_draw_lock(conn, period.id)
            period = await catalogue.load_period(conn, body.period_id)
        wanted = await _wanted(conn, family_id, body, period)
        children = await households.children_of(
            conn, family_id, [c for c, _, _ in wanted] + [body.child_id], lock=True)
        cell_rows = await places.lock_cells(
            conn, period.id, sorted({(u, d) for _, u, d in wanted}, key=lambda k: (k[0], k[1])))
        boards = await _boards(conn, family_id=family_id, period=period, children=children,
                               kind=body.kind, wanted=wanted, now=now, cell_rows=cell_rows)
        decisions = decide(boards, wanted, all_or_nothing=body.all_or_nothing)
        problem = _impossible(decisions, period, children)
        if problem is not None:
            raise problem
        queue = {(r["unit_id"], r["day"]): r["queue_seq"] for r in cell_rows}
        reservation_id = uuid.uuid4()
        if body.kind == "book":
            line_ids = await _write_bookings(conn, reservation_id=reservation_id,
                                             family_id=family_id, period=period,
                                             decisions=decisions, queue=queue, now=now)
            cancelled: list[uuid.UUID] = []
        else:
            line_ids, cancelled = await _write_cancellations(
                conn, reservation_id=reservation_id, family_id=family_id, period=period,
                decisions=decisions, now=now)
        await repo.remove_from_selections(conn, family_id, period.id, body.kind,
                                          [(d.child_id, d.day, d.unit_id) for d in decisions])
        state = repo.reservation_state(body.kind, [LINE_STATE[d.outcome] for d in decisions])
        # Last: the number (the shared counter row), the reservation, its events.
        number = await repo.next_number(conn, today(now).year)
        reservation = await repo.insert_reservation(
            conn, id=reservation_id, number=number, family_id=family_id,
            child_id=body.child_id, period_id=period.id, kind=body.kind, state=state,
            all_or_nothing=body.all_or_nothing, submitted_at=now, submitted_by=actor_sub)
        await events.reservation_submitted(conn, reservation=reservation, line_ids=line_ids)
        if cancelled:
            await events.cancelled(conn, line_ids=cancelled, by_reservation_number=number)
        if key is not None:
            await repo.set_key(conn, family_id, key, reservation_id)
    # Read after commit: the locks are not held while the answer is built.
    return await read_reservation(conn, family_id=family_id, reservation_id=reservation_id), True


async def _write_bookings(conn: Conn, *, reservation_id: uuid.UUID, family_id: uuid.UUID,
                          period: PeriodInfo, decisions: list[Decision],
                          queue: dict[Any, int], now: datetime) -> list[uuid.UUID]:
    deltas: Deltas = {}
    lines: list[dict[str, Any]] = []
    for decision in decisions:
        key = (decision.unit_id, decision.day)
        queue_seq = None
        if decision.outcome in (ACCEPTED, REQUESTED):
            move(deltas, key, under6=decision.under6, places=1)
        elif decision.outcome == WAITING:
            queue[key] += 1
            queue_seq = queue[key]
            deltas.setdefault(key, [0, 0, 0, 0])[3] += 1
        lines.append({
            "id": uuid.uuid4(), "child_id": decision.child_id, "unit_id": decision.unit_id,
            "day": decision.day, "state": LINE_STATE[decision.outcome], "cancels": None,
            "under6": decision.under6, "late": False, "queue_seq": queue_seq,
            # A line awaiting the draw says until when requests enter it, and what follows.
            "comment": decision.reason if decision.outcome in ("refused", DRAWING) else None,
        })
    await places.apply_deltas(conn, period.id, deltas)
    await repo.insert_lines(conn, reservation_id=reservation_id, family_id=family_id,
                            period_id=period.id, kind="book", now=now, lines=lines)
    return [line["id"] for line in lines]


async def _write_cancellations(conn: Conn, *, reservation_id: uuid.UUID, family_id: uuid.UUID,
                               period: PeriodInfo, decisions: list[Decision], now: datetime
                               ) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Cancel lines; an accepted one cancels its booking at once (a place it held is freed
    and offered to the waiting list). Returns (new lines, bookings cancelled)."""
    lines: list[dict[str, Any]] = []
    cancelled: list[uuid.UUID] = []
    deltas: Deltas = {}
    freed: list[tuple[uuid.UUID, Any]] = []
    withdrawn_offers: list[uuid.UUID] = []
    for decision in decisions:
        target = decision.target
        assert target is not None
        late = decision.outcome == REQUESTED
        lines.append({
            "id": uuid.uuid4(), "child_id": decision.child_id, "unit_id": decision.unit_id,
            "day": decision.day, "state": LINE_STATE[decision.outcome], "cancels": target.id,
            "under6": target.under6, "late": late, "queue_seq": None,
            "comment": decision.reason if decision.outcome == "refused" else None,
        })
        if decision.outcome != ACCEPTED:
            continue
        cancelled.append(target.id)
        if target.state in ("accepted", "requested", "offered"):
            move(deltas, (target.unit_id, target.day), under6=target.under6, places=-1)
            freed.append((target.unit_id, target.day))
        if target.state == "offered":
            withdrawn_offers.append(target.id)
    await repo.insert_lines(conn, reservation_id=reservation_id, family_id=family_id,
                            period_id=period.id, kind="cancel", now=now, lines=lines)
    touched = await repo.set_state(conn, cancelled, "cancelled", decided_at=now,
                                   decided_by="system")
    await places.close_offers_of_lines(conn, withdrawn_offers, "withdrawn")
    await places.apply_deltas(conn, period.id, deltas)
    await repo.refresh_states(conn, touched)
    if freed:
        await waitlist.offer_freed_places(conn, period_id=period.id, cells=freed, now=now)
    return [line["id"] for line in lines], cancelled


# ---- reading ---------------------------------------------------------------------------------

async def _periods(conn: Conn, period_ids: set[uuid.UUID]) -> dict[uuid.UUID, PeriodInfo]:
    rows = await catalogue_repo.periods_by_ids(conn, list(period_ids))
    return {r["id"]: period_info(r) for r in rows}


async def _outs(conn: Conn, rows: Sequence[Mapping[str, Any]]) -> list[ReservationOut]:
    if not rows:
        return []
    lines = await repo.lines_of(conn, [r["id"] for r in rows])
    periods = await _periods(conn, {r["period_id"] for r in rows})
    by_reservation: dict[uuid.UUID, list[LineOut]] = {}
    for line in lines:
        rules = periods[line["period_id"]].rules
        by_reservation.setdefault(line["reservation_id"], []).append(LineOut(
            id=line["id"], child_id=line["child_id"],
            child_first_name=line["child_first_name"], date=line["day"],
            unit_id=line["unit_id"], unit_label=line["unit_label"], kind=line["kind"],
            state=line["state"], position=line["position"], comment=line["comment"],
            deadline=rules.deadline(line["day"]) if line["kind"] == "book" else None,
            decided_at=line["decided_at"], cancels_line_id=line["cancels_line_id"],
            offer_expires_at=line["offer_expires_at"], late=line["late"]))
    return [ReservationOut(
        id=r["id"], number=r["number"], kind=r["kind"], state=r["state"],
        child=ChildRef(id=r["child_id"], first_name=r["first_name"], last_name=r["last_name"]),
        establishment=Ref(id=r["establishment_id"], name=r["establishment_name"]),
        period=Ref(id=r["period_id"], name=r["period_name"]),
        submitted_at=r["submitted_at"], all_or_nothing=r["all_or_nothing"],
        lines=by_reservation.get(r["id"], [])) for r in rows]


async def read_reservation(conn: Conn, *, family_id: uuid.UUID,
                           reservation_id: uuid.UUID | None = None,
                           number: str | None = None) -> ReservationOut:
    if reservation_id is not None:
        row = await repo.reservation_by_id(conn, family_id, reservation_id)
    else:
        row = await repo.reservation_by_number(conn, family_id, number or "")
    if row is None:
        raise NotFound(RESERVATION_NOT_FOUND)
    return (await _outs(conn, [dict(row)]))[0]


async def list_reservations(conn: Conn, *, family_id: uuid.UUID, query: ReservationsQuery
                            ) -> ReservationPage:
    """The family's reservations, newest first (keyset pages)."""
    after = decode_cursor(query.cursor, (datetime, uuid.UUID))
    rows = await repo.reservations_page(conn, family_id, query.child_id, after, query.limit + 1)
    items, cursor = page([dict(r) for r in rows], query.limit,
                         lambda r: (r["submitted_at"], r["id"]))
    return ReservationPage(items=await _outs(conn, items), next_cursor=cursor)
