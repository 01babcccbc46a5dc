"""The waiting list: a freed place goes at once to the first waiting line that fits (arrival
order), as an offer with a reply deadline; the parent accepts or declines from the portal or
the e-mailed link; silence passes it on (a background task, safe with several replicas)."""

import asyncio
import contextlib
import hashlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
from aiohttp import web

from services.common import keys as common_keys
from services.common.dates import start_of_day
from services.common.db import Conn
from services.common.errors import Gone, NotFound
from services.reservations import events, keys
from services.reservations.planning.board import Cell
from services.reservations.submissions import repo as lines_repo
from services.reservations.waitlist import repo
from services.reservations.waitlist.schemas import (
    OfferReplyOut,
    WaitingCell,
    WaitingCellsOut,
    WaitingCellsQuery,
    WaitingEntry,
    WaitingListOut,
)

log = logging.getLogger(__name__)

Key = tuple[uuid.UUID, date]
# Per cell: [taken, under6, over6, queued] to add to its counters.
Deltas = dict[Key, list[int]]

OFFER_GONE = "Cette proposition de place n'est plus valable (déjà répondue ou expirée)."
DECLINED = "Place proposée déclinée."
EXPIRED = "Place proposée non confirmée dans le délai : elle est passée à la suite de la liste."
# Cells listed at most by the staff's index of waiting lists.
MAX_WAITING_CELLS = 500


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def move(deltas: Deltas, key: Key, *, under6: bool, places: int) -> None:
    """Count `places` taken (or freed, when negative) on a cell, in its age pool."""
    delta = deltas.setdefault(key, [0, 0, 0, 0])
    delta[0] += places
    delta[1 if under6 else 2] += places


async def offer_freed_places(conn: Conn, *, period_id: uuid.UUID, cells: list[Key],
                             now: datetime) -> list[uuid.UUID]:
    """Offer each cell's free places to its first waiting lines that fit (arrival order),
    until the day begins; returns the lines offered. Locks the cells (in order), then their
    waiting lines: the lock order of every decision."""
    keys = sorted(set(cells), key=lambda k: (k[0], k[1]))
    counters: dict[Key, tuple[Cell, int]] = {}
    for row in await repo.lock_cells(conn, period_id, keys):
        counters[(row["unit_id"], row["day"])] = (Cell(
            capacity=row["capacity"], capacity_under6=row["capacity_under6"],
            capacity_over6=row["capacity_over6"], taken=row["taken"],
            taken_under6=row["taken_under6"], taken_over6=row["taken_over6"]),
            row["offer_hours"])
    deltas: Deltas = {}
    offered: list[tuple[uuid.UUID, uuid.UUID, datetime, str]] = []
    for line in await repo.waiting_of_cells(conn, period_id, keys):
        key = (line["unit_id"], line["day"])
        cell, hours = counters[key]
        day_starts = start_of_day(line["day"])
        if day_starts <= now or not cell.has_room(line["under6"]):
            continue
        cell.take(line["under6"])
        move(deltas, key, under6=line["under6"], places=1)
        expires_at = min(now + timedelta(hours=hours), day_starts)
        token = secrets.token_urlsafe(32)
        offer_id = uuid.uuid4()
        await repo.offer_line(conn, line["id"], expires_at)
        await repo.insert_offer(conn, offer_id, line["id"], hash_token(token), expires_at)
        offered.append((offer_id, line["id"], expires_at, token))
    await repo.apply_deltas(conn, period_id, deltas)
    for offer_id, line_id, expires_at, token in offered:
        await events.line_decided(conn, line_id=line_id, previous_state="waiting")
        await events.waitlist_offered(conn, offer_id=offer_id, line_id=line_id,
                                      expires_at=expires_at, token=token)
    if offered:
        log.info("places offered", extra={"period_id": str(period_id), "count": len(offered)})
    return [line_id for _, line_id, _, _ in offered]


# ---- replies ---------------------------------------------------------------------------------

async def reply_with_token(conn: Conn, *, token: str, accept: bool, now: datetime
                           ) -> OfferReplyOut:
    """The e-mailed link: whoever holds the token answers (no session needed)."""
    offer = await repo.offer_by_token(conn, hash_token(token))
    if offer is None:
        raise Gone(OFFER_GONE)
    return await _reply(conn, line_id=offer["line_id"], accept=accept, now=now, by="link")


async def reply_for_family(conn: Conn, *, family_id: uuid.UUID, line_id: uuid.UUID,
                           accept: bool, now: datetime, by: str) -> OfferReplyOut:
    line = await lines_repo.get_line(conn, line_id)
    if line is None or line["family_id"] != family_id:
        raise NotFound("Ligne introuvable.")
    return await _reply(conn, line_id=line_id, accept=accept, now=now, by=by)


async def _reply(conn: Conn, *, line_id: uuid.UUID, accept: bool, now: datetime, by: str
                 ) -> OfferReplyOut:
    line = await lines_repo.get_line(conn, line_id)
    assert line is not None
    key: Key = (line["unit_id"], line["day"])
    async with conn.transaction():
        await repo.lock_cells(conn, line["period_id"], [key])
        line = (await lines_repo.lock_lines(conn, [line_id]))[line_id]
        offer = await repo.open_offer_of_line(conn, line_id)
        if line["state"] != "offered" or offer is None or offer["expires_at"] <= now:
            raise Gone(OFFER_GONE)
        if accept:
            touched = await lines_repo.set_state(conn, [line_id], "accepted", decided_at=now,
                                                 decided_by=by)
            await repo.close_offer(conn, offer["id"], "accepted")
        else:
            touched = await lines_repo.set_state(conn, [line_id], "cancelled",
                                                 comment=DECLINED, decided_at=now,
                                                 decided_by=by)
            await repo.close_offer(conn, offer["id"], "declined")
            deltas: Deltas = {}
            move(deltas, key, under6=line["under6"], places=-1)
            await repo.apply_deltas(conn, line["period_id"], deltas)
        await lines_repo.refresh_states(conn, touched)
        await events.line_decided(conn, line_id=line_id, previous_state="offered")
        if not accept:
            await offer_freed_places(conn, period_id=line["period_id"], cells=[key], now=now)
        facts = (await events.facts(conn, [line_id]))[line_id]
    return OfferReplyOut(line_id=line_id, state="accepted" if accept else "cancelled",
                         child_first_name=facts["first_name"], date=facts["day"],
                         unit_label=facts["unit_label"], period_name=facts["period_name"],
                         establishment_name=facts["establishment_name"],
                         reservation_number=facts["number"])


# ---- expiry ----------------------------------------------------------------------------------

async def expire_due(pool: asyncpg.Pool, *, now: datetime | None = None, batch: int = 20
                     ) -> int:
    """Expire the offers past their deadline and pass each place to the next in line; the
    cells are taken with SKIP LOCKED, so replicas running this together share the work and
    never handle a cell twice. Returns how many offers expired."""
    now = now or datetime.now(UTC)
    expired = 0
    async with pool.acquire() as conn, conn.transaction():
        by_period: dict[uuid.UUID, list[Key]] = {}
        for cell in await repo.due_cells(conn, now, batch):
            lines = await repo.expired_offers_of_cell(conn, cell["period_id"],
                                                      cell["unit_id"], cell["day"], now)
            if not lines:
                continue
            key: Key = (cell["unit_id"], cell["day"])
            line_ids = [line["id"] for line in lines]
            touched = await lines_repo.set_state(conn, line_ids, "cancelled", comment=EXPIRED,
                                                 decided_at=now, decided_by="system")
            await repo.close_offers_of_lines(conn, line_ids, "expired")
            deltas: Deltas = {}
            for line in lines:
                move(deltas, key, under6=line["under6"], places=-1)
            await repo.apply_deltas(conn, cell["period_id"], deltas)
            await lines_repo.refresh_states(conn, touched)
            for line_id in line_ids:
                await events.line_decided(conn, line_id=line_id, previous_state="offered")
            by_period.setdefault(cell["period_id"], []).append(key)
            expired += len(line_ids)
        for period_id, keys in by_period.items():
            await offer_freed_places(conn, period_id=period_id, cells=keys, now=now)
    return expired


@dataclass
class ExpiryTask:
    pool: asyncpg.Pool
    interval: float
    clock: Callable[[], datetime]

    async def run(self) -> None:
        while True:
            try:
                while await self.expire_once() > 0:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: try again at the next tick
                log.warning("offer expiry failed, will retry", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval)

    async def expire_once(self) -> int:
        return await expire_due(self.pool, now=self.clock())


def expiry_context(interval: float) -> Callable[[web.Application], AsyncIterator[None]]:
    """The expiry task of a running app (every replica runs one)."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(
            ExpiryTask(app[common_keys.DB], interval, app[keys.CLOCK]).run(),
            name="offer-expiry")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return context


# ---- staff: a cell's waiting list ------------------------------------------------------------

async def waiting_list(conn: Conn, *, period_id: uuid.UUID, unit_id: uuid.UUID, day: date
                       ) -> WaitingListOut:
    rows = await repo.waiting_list(conn, period_id, unit_id, day)
    return WaitingListOut(period_id=period_id, unit_id=unit_id, date=day, items=[
        WaitingEntry(line_id=r["id"], state=r["state"], position=r["position"],
                     family_id=r["family_id"], family_name=r["family_name"],
                     child_id=r["child_id"], first_name=r["first_name"],
                     last_name=r["last_name"], reservation_number=r["number"],
                     queued_at=r["queued_at"], offer_expires_at=r["offer_expires_at"])
        for r in rows])


async def waiting_cells(conn: Conn, query: WaitingCellsQuery) -> WaitingCellsOut:
    rows = await repo.waiting_cells(conn, establishment_id=query.establishment_id,
                                    period_id=query.period_id, since=query.since,
                                    limit=MAX_WAITING_CELLS + 1)
    return WaitingCellsOut(items=[WaitingCell.model_validate(dict(r))
                                  for r in rows[:MAX_WAITING_CELLS]],
                           truncated=len(rows) > MAX_WAITING_CELLS)
