"""The lottery of a period (« tirage au sort », issue 13): requests received until the
period's `draw_at` wait as lines `drawing`, holding no place; one draw orders them by a seeded
shuffle, then decides them line by line through the planning board — the same rules, counters
and waiting list as first-come (`decide`, no second allocator); requests received after the
deadline but before the draw follow, in arrival order. The seed, the algorithm, the inputs
and the order are recorded with who drew and when, so anyone can replay the order.

Lock order: the period's draw lock (alone: submissions share it), the lines awaiting the draw
(by id), the cells they touch (by unit_id, day) — as a submission, after the draw lock.
"""

import dataclasses
import logging
import random
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.errors import Conflict, NotFound
from services.common.formats import datetime_label
from services.reservations import events
from services.reservations.catalogue import service as catalogue
from services.reservations.catalogue.service import Actor, audit
from services.reservations.catalogue.views import PeriodInfo
from services.reservations.households.service import Child
from services.reservations.lottery import repo
from services.reservations.lottery.schemas import (
    DrawOut,
    DrawRecordOut,
    EntryOut,
    PendingOut,
    UnitResultOut,
)
from services.reservations.planning import repo as planning_repo
from services.reservations.planning.board import Board, HeldLine, decide
from services.reservations.planning.service import board_cells, held_lines
from services.reservations.rules import ACCEPTED, REQUESTED, WAITING
from services.reservations.submissions import repo as lines_repo
from services.reservations.submissions.service import LINE_STATE
from services.reservations.waitlist import repo as places
from services.reservations.waitlist.service import Deltas, move

log = logging.getLogger(__name__)

# Written into every draw: an auditor replays the order from it, the seed and the entries.
ALGORITHM = (
    "tirage-v1: families who asked before the deadline, their ids as text sorted, shuffled "
    "by Python's random.Random(seed).shuffle; each family's reservations in submission order "
    "(submitted_at, number); then the reservations received after the deadline in submission "
    "order; each reservation's lines decided in turn by the period's rules and places "
    "(days, unit position, child), full days to the waiting list in that order"
)
NOT_LOTTERY = "Cette période attribue ses places au premier arrivé : il n'y a pas de tirage."
ALREADY_DRAWN = "Le tirage au sort de cette période a déjà eu lieu."
TOO_EARLY = ("Le tirage au sort ne peut avoir lieu qu'après la date limite des demandes "
             "({deadline}).")
NO_DEADLINE = ("Indiquez d'abord la date limite du tirage au sort dans la période : les "
               "demandes reçues avant elle sont tirées au sort.")
PERIOD_NOT_FOUND = "Période introuvable."


@dataclasses.dataclass(frozen=True)
class Entry:
    """A reservation awaiting the draw, as the order sees it."""

    reservation_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    submitted_at: datetime


def draw_order(seed: str, entries: Sequence[Entry], deadline: datetime
               ) -> list[tuple[Entry, bool]]:
    """The order of the draw (pure, reproducible): (entry, entered the draw). Fairness is per
    family: a family draws one rank for all its requests, whatever their number."""
    by_submission = sorted(entries, key=lambda e: (e.submitted_at, e.number))
    drawn = [e for e in by_submission if e.submitted_at < deadline]
    late = [e for e in by_submission if e.submitted_at >= deadline]
    families = sorted({str(e.family_id) for e in drawn})
    # A seeded generator on purpose: the order must replay from the recorded seed (the seed
    # itself comes from `secrets`).
    random.Random(seed).shuffle(families)  # noqa: S311
    of_family: dict[str, list[Entry]] = {}
    for entry in drawn:
        of_family.setdefault(str(entry.family_id), []).append(entry)
    return ([(e, True) for family in families for e in of_family[family]]
            + [(e, False) for e in late])


def _entry_json(rank: int, entry: Entry, drawn: bool) -> dict[str, Any]:
    return {"rank": rank, "reservation_id": str(entry.reservation_id), "number": entry.number,
            "family_id": str(entry.family_id), "submitted_at": entry.submitted_at.isoformat(),
            "drawn": drawn}


def _entries_of(recorded: list[dict[str, Any]]) -> list[Entry]:
    return [Entry(reservation_id=uuid.UUID(e["reservation_id"]), number=e["number"],
                  family_id=uuid.UUID(e["family_id"]),
                  submitted_at=datetime.fromisoformat(e["submitted_at"])) for e in recorded]


def replays(record: asyncpg.Record) -> bool:
    """Whether the recorded seed, on the recorded entries, gives the recorded order."""
    recorded = list(record["entries"])
    entries = _entries_of(recorded)
    again = draw_order(record["seed"], sorted(entries, key=lambda e: str(e.reservation_id)),
                       record["deadline"])
    return [str(e.reservation_id) for e, _ in again] == [e["reservation_id"] for e in recorded]


async def draw(conn: Conn, *, period_id: uuid.UUID, actor: Actor, now: datetime,
               seed: str | None = None) -> DrawOut:
    """Draw the period once (a second call, even concurrent, finds it drawn: 409). `seed`
    only to replay a recorded draw; otherwise a fresh one from `secrets`."""
    seed = seed or secrets.token_hex(16)
    async with conn.transaction():
        await repo.draw_lock(conn, period_id)
        period = await _period(conn, period_id)
        if period.allocation != "lottery":
            raise Conflict(NOT_LOTTERY)
        if period.drawn_at is not None:
            raise Conflict(ALREADY_DRAWN)
        if period.draw_at is None:  # a lottery chosen before deadlines existed
            raise Conflict(NO_DEADLINE)
        if now < period.draw_at:
            raise Conflict(TOO_EARLY.format(deadline=datetime_label(period.draw_at)))
        rows = await repo.drawing_lines(conn, period_id)
        lines_of: dict[uuid.UUID, list[asyncpg.Record]] = {}
        entries: dict[uuid.UUID, Entry] = {}
        aon: dict[uuid.UUID, bool] = {}
        for row in rows:
            lines_of.setdefault(row["reservation_id"], []).append(row)
            entries[row["reservation_id"]] = Entry(row["reservation_id"], row["number"],
                                                   row["family_id"], row["submitted_at"])
            aon[row["reservation_id"]] = row["all_or_nothing"]
        order = draw_order(seed, list(entries.values()), period.draw_at)
        decided = await _allocate(conn, period=dataclasses.replace(period, drawn_at=now),
                                  order=[e for e, _ in order], lines_of=lines_of, aon=aon,
                                  now=now)
        results = _results(period, decided)
        await repo.insert_draw(
            conn, period_id=period_id, deadline=period.draw_at, seed=seed,
            algorithm=ALGORITHM, drawn_at=now, drawn_by=actor.sub, drawn_by_role=actor.role,
            entries=[_entry_json(i + 1, e, d) for i, (e, d) in enumerate(order)],
            results=results)
        await audit(conn, actor, "period.drawn", target_type="period", target_id=period_id,
                    details={"seed": seed, "algorithm": ALGORITHM.split(":")[0],
                             "reservations": len(order), "lines": len(decided),
                             "families": len({e.family_id for e, _ in order})})
        if decided:
            await events.lottery_drawn(conn, line_ids=[d["id"] for d in decided], drawn_at=now)
    log.info("period drawn", extra={"period_id": str(period_id), "lines": len(decided)})
    return await read_draw(conn, period_id=period_id)


async def _period(conn: Conn, period_id: uuid.UUID) -> PeriodInfo:
    try:
        return await catalogue.load_period(conn, period_id)
    except NotFound:
        raise NotFound(PERIOD_NOT_FOUND) from None


async def _allocate(conn: Conn, *, period: PeriodInfo, order: list[Entry],
                    lines_of: dict[uuid.UUID, list[asyncpg.Record]],
                    aon: dict[uuid.UUID, bool], now: datetime) -> list[dict[str, Any]]:
    """Decide every reservation's lines in draw order on shared place counters; write the
    lines, the counters and the reservations' states. Returns the lines as decided."""
    if not order:
        return []
    every = [line for e in order for line in lines_of[e.reservation_id]]
    keys = sorted({(r["unit_id"], r["day"]) for r in every}, key=lambda k: (k[0], k[1]))
    cell_rows = await places.lock_cells(conn, period.id, keys)
    cells = board_cells(cell_rows)
    first, last = min(k[1] for k in keys), max(k[1] for k in keys)
    for key, count in (await planning_repo.waiting_counts(conn, period.id, first,
                                                          last)).items():
        if key in cells:
            cells[key].waiting = count
    queue = {(r["unit_id"], r["day"]): r["queue_seq"] for r in cell_rows}
    child_ids = sorted({r["child_id"] for r in every})
    children = {r["id"]: Child.of(r) for r in await repo.children(conn, child_ids)}
    # What each child holds besides the lines drawn, then what the draw gives them.
    held: dict[uuid.UUID, list[HeldLine]] = {c: [] for c in child_ids}
    for held_row in await planning_repo.lines(conn, child_ids, first, last):
        if held_row["state"] != "drawing":
            held[held_row["child_id"]].extend(held_lines([held_row]))
    position = {u.id: u.position for u in period.units}
    deltas: Deltas = {}
    decided: list[dict[str, Any]] = []
    for entry in order:
        rows = sorted(lines_of[entry.reservation_id],
                      key=lambda r: (r["day"], position.get(r["unit_id"], 0), str(r["unit_id"]),
                                     str(r["child_id"])))
        boards = {c: Board(period=period, child=children[c], family_id=entry.family_id,
                           kind="book", now=entry.submitted_at, cells=cells, lines=held[c])
                  for c in {r["child_id"] for r in rows}}
        decisions = decide(boards, [(r["child_id"], r["unit_id"], r["day"]) for r in rows],
                           all_or_nothing=aon[entry.reservation_id])
        for row, decision in zip(rows, decisions, strict=True):
            key = (row["unit_id"], row["day"])
            state = LINE_STATE.get(decision.outcome, "refused")
            queue_seq = None
            if decision.outcome in (ACCEPTED, REQUESTED):
                move(deltas, key, under6=decision.under6, places=1)
            elif decision.outcome == WAITING:
                queue[key] += 1
                queue_seq = queue[key]
                deltas.setdefault(key, [0, 0, 0, 0])[3] += 1
            decided.append({"id": row["id"], "state": state, "under6": decision.under6,
                            "queue_seq": queue_seq, "unit_id": row["unit_id"],
                            "comment": decision.reason if state == "refused" else None})
            if state != "refused":
                held[row["child_id"]].append(HeldLine(
                    id=row["id"], family_id=entry.family_id, unit_id=row["unit_id"],
                    day=row["day"], state=state, under6=decision.under6))
    await places.apply_deltas(conn, period.id, deltas)
    written = await repo.set_drawn(conn, now, decided)
    assert written == len(decided), "a line awaiting the draw changed under its lock"
    await lines_repo.refresh_states(conn, {e.reservation_id for e in order})
    return decided


def _results(period: PeriodInfo, decided: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per unit of the period: how many lines the draw accepted, sent to staff, queued,
    refused."""
    counts = {u.id: dict.fromkeys(("accepted", "requested", "waiting", "refused"), 0)
              for u in period.units}
    for line in decided:
        counts.setdefault(line["unit_id"], dict.fromkeys(
            ("accepted", "requested", "waiting", "refused"), 0))[line["state"]] += 1
    return [{"unit_id": str(u.id), "unit_label": u.label, **counts[u.id]}
            for u in period.units]


async def read_draw(conn: Conn, *, period_id: uuid.UUID) -> DrawOut:
    """The period's lottery: requests awaiting the draw, and the draw's record once made."""
    period = await _period(conn, period_id)
    pending = await repo.pending(conn, period_id, period.draw_at)
    record = await repo.get_draw(conn, period_id)
    out = None
    if record is not None:
        entries = [EntryOut.model_validate(e) for e in record["entries"]]
        out = DrawRecordOut(
            drawn_at=record["drawn_at"], drawn_by=record["drawn_by"],
            drawn_by_role=record["drawn_by_role"], deadline=record["deadline"],
            seed=record["seed"], algorithm=record["algorithm"], entries=entries,
            results=[UnitResultOut.model_validate(r) for r in record["results"]],
            families=len({e.family_id for e in entries}), reproducible=replays(record))
    return DrawOut(period_id=period_id, allocation=period.allocation, draw_at=period.draw_at,
                   pending=PendingOut.model_validate(dict(pending)), draw=out)


async def draw_due(pool: asyncpg.Pool, *, now: datetime) -> list[uuid.UUID]:
    """Draw every lottery period past its deadline and not drawn yet (the automation's
    command); a period drawn meanwhile by staff is skipped."""
    drawn: list[uuid.UUID] = []
    async with pool.acquire() as conn:
        for period_id in await repo.due(conn, now):
            try:
                await draw(conn, period_id=period_id, actor=Actor(sub="system", role="system"),
                           now=now)
            except Conflict:
                continue
            drawn.append(period_id)
    return drawn
