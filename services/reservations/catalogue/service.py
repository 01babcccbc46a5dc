"""Use cases of the catalogue (staff write, any token reads) and the period as rules see it."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from services.common.dates import today
from services.common.db import Conn
from services.common.errors import NotFound, ValidationFailed
from services.common.validation import field_errors
from services.reservations.catalogue import repo
from services.reservations.catalogue.schemas import (
    CapacitiesIn,
    EstablishmentIn,
    EstablishmentList,
    EstablishmentOut,
    EstablishmentPatch,
    PeriodIn,
    PeriodList,
    PeriodOut,
    PeriodPatch,
    UnitIn,
    UnitOut,
    UnitPatch,
)
from services.reservations.catalogue.views import PeriodInfo, period_info
from services.reservations.waitlist import service as waitlist

CODE_TAKEN = "Ce code est déjà utilisé par une autre unité de l'établissement."
FOREIGN_UNIT = "Cette unité n'appartient pas à l'établissement."
UNIT_NOT_IN_PERIOD = "Cette unité n'est pas proposée sur cette période."


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit trail records it."""

    sub: str
    role: str


async def load_period(conn: Conn, period_id: uuid.UUID) -> PeriodInfo:
    row = await repo.get_period(conn, period_id)
    if row is None:
        raise NotFound("Période introuvable.")
    return period_info(row)


async def audit(conn: Conn, actor: Actor, action: str, *, target_type: str,
                target_id: uuid.UUID | None, details: dict[str, Any]) -> None:
    await repo.insert_audit(conn, actor_sub=actor.sub, actor_role=actor.role, action=action,
                            target_type=target_type, target_id=target_id, details=details)


# ---- establishments and units ----------------------------------------------------------------

def establishment_out(row: asyncpg.Record) -> EstablishmentOut:
    return EstablishmentOut(id=row["id"], name=row["name"], kind=row["kind"],
                            units=[UnitOut.model_validate(u) for u in row["units"]])


async def list_establishments(conn: Conn) -> EstablishmentList:
    return EstablishmentList(items=[establishment_out(r)
                                    for r in await repo.list_establishments(conn)])


async def read_establishment(conn: Conn, establishment_id: uuid.UUID) -> EstablishmentOut:
    row = await repo.get_establishment(conn, establishment_id)
    if row is None:
        raise NotFound("Établissement introuvable.")
    return establishment_out(row)


async def create_establishment(conn: Conn, *, body: EstablishmentIn, actor: Actor,
                               establishment_id: uuid.UUID | None = None) -> EstablishmentOut:
    establishment_id = establishment_id or uuid.uuid4()
    async with conn.transaction():
        await repo.insert_establishment(conn, establishment_id, body.name, body.kind)
        await audit(conn, actor, "establishment.created", target_type="establishment",
                    target_id=establishment_id, details=body.model_dump(mode="json"))
    return await read_establishment(conn, establishment_id)


async def change_establishment(conn: Conn, *, establishment_id: uuid.UUID,
                               body: EstablishmentPatch, actor: Actor) -> EstablishmentOut:
    async with conn.transaction():
        if not await repo.lock_establishment(conn, establishment_id):
            raise NotFound("Établissement introuvable.")
        await repo.update_establishment(conn, establishment_id, body.name, body.kind)
        await audit(conn, actor, "establishment.updated", target_type="establishment",
                    target_id=establishment_id,
                    details=body.model_dump(mode="json", exclude_unset=True))
    return await read_establishment(conn, establishment_id)


async def _check_exclusions(conn: Conn, establishment_id: uuid.UUID, unit_id: uuid.UUID,
                            excludes: list[uuid.UUID]) -> None:
    others = list(dict.fromkeys(excludes))
    if unit_id in others:
        raise ValidationFailed(errors=[{"field": "excludes",
                                        "message": "Une unité ne s'exclut pas elle-même."}])
    known = await repo.units_of(conn, establishment_id, others)
    errors = [{"field": f"excludes.{i}", "message": FOREIGN_UNIT}
              for i, other in enumerate(others) if other not in known]
    if errors:
        raise ValidationFailed(errors=errors)
    await repo.replace_exclusions(conn, unit_id, others)


async def create_unit(conn: Conn, *, establishment_id: uuid.UUID, body: UnitIn, actor: Actor,
                      unit_id: uuid.UUID | None = None) -> UnitOut:
    unit_id = unit_id or uuid.uuid4()
    async with conn.transaction():
        if not await repo.lock_establishment(conn, establishment_id):
            raise NotFound("Établissement introuvable.")
        if not await repo.insert_unit(conn, unit_id, establishment_id, body.code, body.label,
                                      body.position, body.active):
            raise ValidationFailed(errors=[{"field": "code", "message": CODE_TAKEN}])
        await _check_exclusions(conn, establishment_id, unit_id, body.excludes)
        await audit(conn, actor, "unit.created", target_type="unit", target_id=unit_id,
                    details={"establishment_id": str(establishment_id),
                             **body.model_dump(mode="json")})
    return await read_unit(conn, unit_id)


async def change_unit(conn: Conn, *, unit_id: uuid.UUID, body: UnitPatch, actor: Actor
                      ) -> UnitOut:
    async with conn.transaction():
        unit = await repo.get_unit(conn, unit_id)
        if unit is None:
            raise NotFound("Unité introuvable.")
        # Exclusions of an establishment change one at a time.
        await repo.lock_establishment(conn, unit["establishment_id"])
        await repo.update_unit(conn, unit_id, body.label, body.position, body.active)
        if body.excludes is not None:
            await _check_exclusions(conn, unit["establishment_id"], unit_id, body.excludes)
        await audit(conn, actor, "unit.updated", target_type="unit", target_id=unit_id,
                    details=body.model_dump(mode="json", exclude_unset=True))
    return await read_unit(conn, unit_id)


async def read_unit(conn: Conn, unit_id: uuid.UUID) -> UnitOut:
    unit = await repo.get_unit(conn, unit_id)
    if unit is None:
        raise NotFound("Unité introuvable.")
    establishment = await read_establishment(conn, unit["establishment_id"])
    return next(u for u in establishment.units if u.id == unit_id)


# ---- periods ---------------------------------------------------------------------------------

def period_out(row: asyncpg.Record) -> PeriodOut:
    info = period_info(row)
    return PeriodOut.model_validate({
        "id": row["id"], "establishment_id": row["establishment_id"],
        "establishment_name": row["establishment_name"], "name": row["name"],
        "start_date": row["start_date"], "end_date": row["end_date"],
        "weekdays": sorted(row["weekdays"]), "closures": sorted(row["closures"]),
        "units": row["units"], "overrides": row["overrides"],
        "eligibility": {"min_age": row["min_age"], "max_age": row["max_age"],
                        "school_levels": sorted(row["school_levels"])},
        "window": {"opens_at": row["opens_at"], "closes_at": row["closes_at"]},
        "rules": {"auto_days": row["auto_days"], "request_days": row["request_days"],
                  "day_count": row["day_count"],
                  "bill_late_cancellations": row["bill_late_cancellations"]},
        "allocation": row["allocation"], "offer_hours": row["offer_hours"],
        "draw_at": row["draw_at"], "drawn_at": row["drawn_at"],
        "months": info.calendar.months(), "version": row["version"],
    })


async def read_period(conn: Conn, period_id: uuid.UUID) -> PeriodOut:
    row = await repo.get_period(conn, period_id, overrides=True)
    if row is None:
        raise NotFound("Période introuvable.")
    return period_out(row)


async def list_periods(conn: Conn, establishment_id: uuid.UUID | None) -> PeriodList:
    return PeriodList(items=[period_out(r) for r in await repo.list_periods(conn,
                                                                             establishment_id)])


def _values_of(row: asyncpg.Record) -> dict[str, Any]:
    """A period row as the dict a PeriodIn validates (to apply a patch on)."""
    out = period_out(row)
    return {
        "establishment_id": out.establishment_id, "name": out.name,
        "start_date": out.start_date, "end_date": out.end_date, "weekdays": out.weekdays,
        "closures": out.closures,
        "units": [{"unit_id": u.unit_id, "capacity": u.capacity,
                   "capacity_under6": u.capacity_under6, "capacity_over6": u.capacity_over6}
                  for u in out.units],
        "eligibility": out.eligibility.model_dump(), "window": out.window.model_dump(),
        "rules": out.rules.model_dump(), "allocation": out.allocation,
        "draw_at": out.draw_at, "offer_hours": out.offer_hours,
    }


async def _check_units(conn: Conn, period: PeriodIn) -> None:
    wanted = [u.unit_id for u in period.units]
    known = await repo.units_of(conn, period.establishment_id, wanted)
    errors = [{"field": f"units.{i}.unit_id", "message": FOREIGN_UNIT}
              for i, unit_id in enumerate(wanted) if unit_id not in known]
    if errors:
        raise ValidationFailed(errors=errors)


async def _sync_cells_and_offer(conn: Conn, period_id: uuid.UUID, now: datetime) -> None:
    """Place counters for every offered day × unit; a raised capacity offers its places."""
    info = await load_period(conn, period_id)
    await repo.sync_cells(conn, period_id, list(info.calendar.days()))
    cells = await repo.cells_to_offer(conn, period_id)
    if cells:
        await waitlist.offer_freed_places(conn, period_id=period_id, cells=cells, now=now)


async def _check_allocation(conn: Conn, row: asyncpg.Record, period: PeriodIn) -> None:
    """After the draw, how the period was allotted is history; before it, requests waiting
    for the draw keep the period a lottery (they hold no place a first-come could decide)."""
    changed = (period.allocation != row["allocation"]
               or (period.allocation == "lottery" and period.draw_at != row["draw_at"]))
    if not changed:
        return
    if row["drawn_at"] is not None:
        raise ValidationFailed(errors=[{"field": "allocation", "message": (
            "Le tirage au sort de cette période a eu lieu : l'attribution des places et sa "
            "date limite ne changent plus.")}])
    if period.allocation == "fcfs" and await repo.drawing_count(conn, row["id"]):
        raise ValidationFailed(errors=[{"field": "allocation", "message": (
            "Des demandes attendent le tirage au sort : faites le tirage avant de passer en "
            "« premier arrivé, premier servi ».")}])


async def create_period(conn: Conn, *, body: PeriodIn, actor: Actor,
                        period_id: uuid.UUID | None = None,
                        now: datetime | None = None) -> PeriodOut:
    period_id = period_id or uuid.uuid4()
    values = body.model_dump()
    async with conn.transaction():
        if not await repo.lock_establishment(conn, body.establishment_id):
            raise ValidationFailed(errors=[{"field": "establishment_id",
                                            "message": "Établissement introuvable."}])
        await _check_units(conn, body)
        await repo.insert_period(conn, period_id, values)
        await repo.replace_period_units(conn, period_id, values["units"])
        await _sync_cells_and_offer(conn, period_id, now or datetime.now().astimezone())
        await audit(conn, actor, "period.created", target_type="period", target_id=period_id,
                    details=body.model_dump(mode="json"))
    return await read_period(conn, period_id)


async def change_period(conn: Conn, *, period_id: uuid.UUID, body: PeriodPatch, actor: Actor,
                        now: datetime | None = None) -> PeriodOut:
    async with conn.transaction():
        if not await repo.lock_period(conn, period_id):
            raise NotFound("Période introuvable.")
        row = await repo.get_period(conn, period_id, overrides=True)
        assert row is not None
        merged = {**_values_of(row), **body.model_dump(exclude_unset=True)}
        try:
            period = PeriodIn.model_validate(merged)
        except ValidationError as exc:
            raise ValidationFailed(errors=field_errors(exc)) from exc
        await _check_units(conn, period)
        await _check_allocation(conn, row, period)
        values = period.model_dump()
        await repo.update_period(conn, period_id, values)
        if body.units is not None:
            await repo.replace_period_units(conn, period_id, values["units"])
        await _sync_cells_and_offer(conn, period_id, now or datetime.now().astimezone())
        await audit(conn, actor, "period.updated", target_type="period", target_id=period_id,
                    details=body.model_dump(mode="json", exclude_unset=True))
    return await read_period(conn, period_id)


async def set_capacities(conn: Conn, *, period_id: uuid.UUID, body: CapacitiesIn, actor: Actor,
                         now: datetime | None = None) -> PeriodOut:
    """Default capacities per unit, or one day's; places raised go to the waiting lists."""
    async with conn.transaction():
        if not await repo.lock_period(conn, period_id):
            raise NotFound("Période introuvable.")
        info = await load_period(conn, period_id)
        offered = {u.id for u in info.units}
        errors: list[dict[str, str]] = []
        for i, item in enumerate(body.items):
            if item.unit_id not in offered:
                errors.append({"field": f"items.{i}.unit_id", "message": UNIT_NOT_IN_PERIOD})
            elif item.date is not None and not info.calendar.offers(item.date):
                errors.append({"field": f"items.{i}.date",
                               "message": "Ce jour n'est pas proposé sur cette période."})
        if errors:
            raise ValidationFailed(errors=errors)
        for item in body.items:
            if item.date is None:
                await repo.set_default_capacity(conn, period_id, item.unit_id, item.capacity,
                                                item.capacity_under6, item.capacity_over6)
            else:
                await repo.set_override(conn, period_id, item.unit_id, item.date,
                                        item.capacity, item.capacity_under6,
                                        item.capacity_over6)
        await repo.bump_period(conn, period_id)
        await _sync_cells_and_offer(conn, period_id, now or datetime.now().astimezone())
        await audit(conn, actor, "period.capacities", target_type="period",
                    target_id=period_id, details=body.model_dump(mode="json"))
    return await read_period(conn, period_id)


async def current_periods(conn: Conn) -> list[PeriodInfo]:
    """Periods not over yet, every establishment (what a parent may choose among)."""
    return [period_info(r) for r in await repo.current_periods(conn, today())]


def day_of(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
