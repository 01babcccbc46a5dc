"""Use cases of the planning: the periods a child may book or cancel, a month's cells, and the
server-side selection."""

import uuid
from datetime import date, datetime, timedelta

from services.common.dates import month_days, today
from services.common.db import Conn
from services.common.errors import NotFound
from services.reservations import rules
from services.reservations.catalogue import service as catalogue
from services.reservations.catalogue.views import PeriodInfo
from services.reservations.households import service as households
from services.reservations.households.service import Child
from services.reservations.planning import repo
from services.reservations.planning.board import Board, Cell, HeldLine, Key, Kind
from services.reservations.planning.schemas import (
    CellOut,
    CellRef,
    ChildRef,
    DayOut,
    EstablishmentPeriods,
    EstablishmentRef,
    PeriodsOut,
    PeriodSummary,
    PlanningOut,
    PlanningPeriod,
    PlanningQuery,
    SelectionCount,
    SelectionIn,
    SelectionOut,
    SelectionQuery,
    Skipped,
    UnitRef,
    Window,
)

# A month's planning costs exactly this many statements, whatever the number of cells and
# lines: the child (1), the period with its units and exclusions (1), the month's place
# counters (1), the child's lines with waiting positions and pending cancellations (1), the
# selection (1). tests/service/reservations/test_planning.py counts them.
PLANNING_QUERIES = 5
SKIPPED_SHOWN = 50


def board_cells(rows: list) -> dict[Key, Cell]:  # type: ignore[type-arg]
    return {(r["unit_id"], r["day"]): Cell(
        capacity=r["capacity"], capacity_under6=r["capacity_under6"],
        capacity_over6=r["capacity_over6"], taken=r["taken"], taken_under6=r["taken_under6"],
        taken_over6=r["taken_over6"]) for r in rows}


def held_lines(rows: list) -> list[HeldLine]:  # type: ignore[type-arg]
    return [HeldLine(id=r["id"], family_id=r["family_id"], unit_id=r["unit_id"], day=r["day"],
                     state=r["state"], under6=r["under6"], position=r["position"],
                     cancel_pending=r["cancel_pending"],
                     offer_expires_at=r["offer_expires_at"],
                     reservation_number=r["reservation_number"], comment=r["comment"])
            for r in rows]


async def load_board(conn: Conn, *, family_id: uuid.UUID, child: Child, period: PeriodInfo,
                     kind: Kind, first: date, last: date, now: datetime,
                     selection: bool = True) -> Board:
    """The board between two days (3 statements: cells, lines, selection)."""
    first, last = max(first, period.calendar.start), min(last, period.calendar.end)
    cells = board_cells(await repo.cells(conn, period.id, first, last))
    lines = held_lines(await repo.lines(conn, [child.id], first, last))
    selected: set[Key] = set()
    if selection:
        selected = set(await repo.selection(conn, family_id, child.id, period.id, kind))
    return Board(period=period, child=child, family_id=family_id, kind=kind, now=now,
                 cells=cells, lines=lines, selected=selected)


def child_ref(child: Child) -> ChildRef:
    return ChildRef(id=child.id, first_name=child.first_name, last_name=child.last_name)


def period_summary(period: PeriodInfo) -> PeriodSummary:
    return PeriodSummary(id=period.id, name=period.name, start_date=period.calendar.start,
                         end_date=period.calendar.end,
                         window=Window(opens_at=period.opens_at, closes_at=period.closes_at),
                         months=period.calendar.months(), allocation=period.allocation,
                         draw_at=period.draw_at, drawn_at=period.drawn_at)


def current_month(period: PeriodInfo, now: datetime) -> str:
    months = period.calendar.months()
    this = today(now).strftime("%Y-%m")
    return this if this in months else (months[0] if this < months[0] else months[-1])


async def planning(conn: Conn, *, family_id: uuid.UUID, query: PlanningQuery,
                   now: datetime) -> PlanningOut:
    """Every cell of a month: state, what a click gives now, waiting position, deadline."""
    child = await households.child_of(conn, family_id, query.child_id)
    period = await catalogue.load_period(conn, query.period_id)
    months = period.calendar.months()
    month = query.month or current_month(period, now)
    if month not in months:
        raise NotFound("Ce mois ne fait pas partie de la période.")
    first, last = month_days(month)
    board = await load_board(conn, family_id=family_id, child=child, period=period,
                             kind=query.kind, first=first, last=last, now=now)
    days: list[DayOut] = []
    day = first
    while day <= last:
        days.append(DayOut(
            date=day, weekday=day.isoweekday(), offered=period.calendar.offers(day),
            cells=[_cell_out(board, unit.id, day) for unit in period.units]))
        day += timedelta(days=1)
    index = months.index(month)
    return PlanningOut(
        child=child_ref(child),
        period=PlanningPeriod(
            **period_summary(period).model_dump(),
            establishment=EstablishmentRef(id=period.establishment_id,
                                           name=period.establishment_name,
                                           kind=period.establishment_kind)),
        kind=query.kind, month=month, months=months,
        previous_month=months[index - 1] if index > 0 else None,
        next_month=months[index + 1] if index + 1 < len(months) else None,
        units=[UnitRef(id=u.id, code=u.code, label=u.label) for u in period.units],
        days=days, selection=SelectionCount(count=len(board.selected)),
    )


def _cell_out(board: Board, unit_id: uuid.UUID, day: date) -> CellOut:
    view = board.view(unit_id, day)
    return CellOut(unit_id=unit_id, state=view.state, selected=(unit_id, day) in board.selected,
                   outcome=view.outcome, reason=view.reason, position=view.position,
                   deadline=view.deadline, line_id=view.line_id,
                   offer_expires_at=view.offer_expires_at)


async def periods_for(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID, kind: Kind,
                      now: datetime) -> PeriodsOut:
    """`book`: periods open for booking that the child may attend; `cancel`: periods where
    the family holds bookings of the child it may still cancel."""
    child = await households.child_of(conn, family_id, child_id)
    periods = await catalogue.current_periods(conn)
    if kind == "book":
        chosen = [p for p in periods
                  if p.window(now) is rules.Window.OPEN and p.ineligible(child) is None]
    else:
        cancellable = await _cancellable_periods(conn, family_id, child, periods, now)
        chosen = [p for p in periods if p.id in cancellable]
    by_establishment: dict[uuid.UUID, EstablishmentPeriods] = {}
    for period in chosen:
        entry = by_establishment.setdefault(period.establishment_id, EstablishmentPeriods(
            id=period.establishment_id, name=period.establishment_name,
            kind=period.establishment_kind, periods=[]))
        entry.periods.append(period_summary(period))
    return PeriodsOut(child=child_ref(child), kind=kind,
                      establishments=list(by_establishment.values()))


async def _cancellable_periods(conn: Conn, family_id: uuid.UUID, child: Child,
                               periods: list[PeriodInfo], now: datetime) -> set[uuid.UUID]:
    if not periods:
        return set()
    first = today(now)
    last = max(p.calendar.end for p in periods)
    units = {u.id: p for p in periods for u in p.units}
    found: set[uuid.UUID] = set()
    for line in held_lines(await repo.lines(conn, [child.id], first, last)):
        period = units.get(line.unit_id)
        if (period is None or line.family_id != family_id or line.state == "refused"
                or line.cancel_pending):
            continue
        if line.state != "accepted" or now <= period.rules.deadline(line.day):
            found.add(period.id)
    return found


# ---- the selection -------------------------------------------------------------------------

async def read_selection(conn: Conn, *, family_id: uuid.UUID, query: SelectionQuery
                         ) -> SelectionOut:
    await households.child_of(conn, family_id, query.child_id)
    keys = await repo.selection(conn, family_id, query.child_id, query.period_id, query.kind)
    return SelectionOut(items=_refs(keys), changed=0, skipped=0, skipped_reasons=[])


def _refs(keys: list[Key] | set[Key]) -> list[CellRef]:
    return [CellRef(date=d, unit_id=u) for u, d in sorted(keys, key=lambda k: (k[1], str(k[0])))]


def scope_days(period: PeriodInfo, body: SelectionIn) -> list[date]:
    """The days a bulk action covers: the scope, on the asked weekdays (the period's opening
    weekdays by default, so closed weekdays never count as skipped)."""
    if body.scope == "month" and body.month is not None:
        first, last = month_days(body.month)
    elif body.scope == "week" and body.week_of is not None:
        first = body.week_of - timedelta(days=body.week_of.isoweekday() - 1)
        last = first + timedelta(days=6)
    else:
        first, last = period.calendar.start, period.calendar.end
    first, last = max(first, period.calendar.start), min(last, period.calendar.end)
    weekdays = set(body.weekdays or period.calendar.weekdays)
    out: list[date] = []
    day = first
    while day <= last:
        if day.isoweekday() in weekdays:
            out.append(day)
        day += timedelta(days=1)
    return out


async def change_selection(conn: Conn, *, family_id: uuid.UUID, body: SelectionIn,
                           now: datetime) -> SelectionOut:
    """Toggle, add, remove or clear; bulk additions take only the cells a click could book
    (or cancel) and count the others as skipped, with why."""
    child = await households.child_of(conn, family_id, body.child_id)
    period = await catalogue.load_period(conn, body.period_id)
    args = (family_id, child.id, period.id, body.kind)
    if body.action == "clear":
        before = await repo.selection(conn, *args)
        await repo.clear_selection(conn, *args)
        return SelectionOut(items=[], changed=len(before), skipped=0, skipped_reasons=[])
    if body.lines is not None:
        targets = [(ref.unit_id, ref.date) for ref in body.lines]
    else:
        units = [body.unit_id] if body.unit_id is not None else [u.id for u in period.units]
        targets = [(u, d) for d in scope_days(period, body) for u in units]
    targets = list(dict.fromkeys(targets))
    if not targets:
        return await _answer(conn, args, 0, [])
    first = min(d for _, d in targets)
    last = max(d for _, d in targets)
    async with conn.transaction():
        board = await load_board(conn, family_id=family_id, child=child, period=period,
                                 kind=body.kind, first=first, last=last, now=now)
        added: list[Key] = []
        removed: list[Key] = []
        skipped: list[Skipped] = []
        for key in targets:
            selected = key in board.selected
            if body.action == "remove" or (body.action == "toggle" and selected):
                if selected:
                    board.selected.discard(key)
                    removed.append(key)
                continue
            if selected:
                continue
            ok, reason = board.clickable(*key)
            if ok:
                board.selected.add(key)  # later cells of the same day see it (exclusions)
                added.append(key)
            else:
                skipped.append(Skipped(date=key[1], unit_id=key[0], reason=reason))
        await repo.add_selection(conn, *args, added)
        await repo.remove_selection(conn, *args, removed)
    return await _answer(conn, args, len(added) + len(removed), skipped)


async def _answer(conn: Conn, args: tuple[uuid.UUID, uuid.UUID, uuid.UUID, str], changed: int,
                  skipped: list[Skipped]) -> SelectionOut:
    keys = await repo.selection(conn, *args)
    return SelectionOut(items=_refs(keys), changed=changed, skipped=len(skipped),
                        skipped_reasons=skipped[:SKIPPED_SHOWN])
