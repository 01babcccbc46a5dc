"""Events this service publishes, built from rows and written to the outbox (no health datum)."""

import uuid
from datetime import date
from typing import Any, Literal

import asyncpg

from services.common.db import Conn
from services.common.events.families import (
    Address,
    ChangeRequestDecided,
    ChildCreated,
    ChildLinked,
    ChildUnlinked,
    ChildUpdated,
    Custody,
    FamilyCreated,
    FamilyUpdated,
)
from services.common.outbox import add_event

PRODUCER = "families"


async def family_created(conn: Conn, family: asyncpg.Record) -> None:
    await add_event(conn, FamilyCreated(
        family_id=family["id"], name=family["name"], email=family["email"]), producer=PRODUCER)


async def family_updated(conn: Conn, family: asyncpg.Record) -> None:
    await add_event(conn, FamilyUpdated(
        family_id=family["id"],
        name=family["name"],
        email=family["email"],
        address=Address(line1=family["address_line1"], line2=family["address_line2"],
                        postal_code=family["postal_code"], city=family["city"]),
        qf=family["qf"],
        entity_version=family["version"],
    ), producer=PRODUCER)


def _custody(child: asyncpg.Record) -> Custody:
    return Custody(pattern=child["custody_pattern"],
                   even_weeks_family_id=child["even_weeks_family_id"])


def _birth_date(child: asyncpg.Record) -> date:
    birth_date = child["birth_date"]
    return birth_date if isinstance(birth_date, date) else date.fromisoformat(birth_date)


async def child_changed(conn: Conn, child: asyncpg.Record, *, created: bool) -> None:
    """The child's file, its households (its first household first) and custody."""
    kind = ChildCreated if created else ChildUpdated
    await add_event(conn, kind(
        child_id=child["id"],
        family_id=child["family_id"],
        first_name=child["first_name"],
        last_name=child["last_name"],
        birth_date=_birth_date(child),
        school_level=child["school_level"],
        entity_version=child["version"],
        family_ids=list(child["family_ids"]),
        custody=_custody(child),
    ), producer=PRODUCER)


async def child_linked(conn: Conn, child: asyncpg.Record, *, family_id: uuid.UUID) -> None:
    """`family_id`, the household linked, first among the child's households."""
    await add_event(conn, ChildLinked(
        child_id=child["id"],
        family_id=family_id,
        family_ids=[family_id, *(f for f in child["family_ids"] if f != family_id)],
        first_name=child["first_name"],
        last_name=child["last_name"],
        birth_date=_birth_date(child),
        school_level=child["school_level"],
        custody=_custody(child),
        entity_version=child["version"],
    ), producer=PRODUCER)


async def child_unlinked(conn: Conn, child: asyncpg.Record, *, family_id: uuid.UUID) -> None:
    """`family_ids`: the households that remain (`family_id` is no longer one)."""
    await add_event(conn, ChildUnlinked(
        child_id=child["id"],
        family_id=family_id,
        family_ids=list(child["family_ids"]),
        custody=_custody(child),
        entity_version=child["version"],
    ), producer=PRODUCER)


async def request_decided(conn: Conn, *, request: asyncpg.Record,
                          family: asyncpg.Record, child_name: str | None,
                          decision: Literal["approved", "rejected"],
                          outcome: list[dict[str, Any]] | None = None) -> None:
    """The parent is told by e-mail: field labels only, never the values (health data)."""
    request_id: uuid.UUID = request["id"]
    await add_event(conn, ChangeRequestDecided(
        change_request_id=request_id,
        family_id=family["id"],
        email=family["email"],
        family_name=family["name"],
        subject=request["target"],
        child_name=child_name,
        decision=decision,
        comment=request["comment"],
        fields=[c["label"] for c in request["changes"]],
        refused_fields=[c["label"] for c in outcome or [] if c["outcome"] == "refused"],
        corrected_fields=[c["label"] for c in outcome or [] if "asked" in c],
    ), producer=PRODUCER)
