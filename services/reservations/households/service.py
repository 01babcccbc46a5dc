"""The read model of families and children: applied from the families events, newest wins."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Self

import asyncpg

from services.common.db import Conn
from services.common.errors import NotFound
from services.reservations.households import repo

log = logging.getLogger(__name__)

CHILD_NOT_FOUND = "Enfant introuvable."


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> Self:
        return cls(id=row["id"], first_name=row["first_name"], last_name=row["last_name"],
                   birth_date=row["birth_date"], school_level=row["school_level"])


async def apply_family(conn: Conn, *, family_id: uuid.UUID, name: str, email: str,
                       version: int) -> bool:
    applied = await repo.upsert_family(conn, family_id=family_id, name=name, email=email,
                                       version=version)
    if not applied:
        log.info("stale family event ignored", extra={"family_id": str(family_id),
                                                       "entity_version": version})
    return applied


async def apply_child(conn: Conn, *, child_id: uuid.UUID, family_id: uuid.UUID,
                      first_name: str, last_name: str, birth_date: date,
                      school_level: str | None, version: int) -> bool:
    """The child's state, if newer; its household joins the child's households (a child may
    belong to two: the membership is a relation, never overwritten by another household)."""
    async with conn.transaction():
        applied = await repo.upsert_child(conn, child_id=child_id, first_name=first_name,
                                          last_name=last_name, birth_date=birth_date,
                                          school_level=school_level, version=version)
        if applied:
            await repo.add_membership(conn, family_id, child_id)
        else:
            log.info("stale child event ignored", extra={"child_id": str(child_id),
                                                          "entity_version": version})
    return applied


async def child_of(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID) -> Child:
    """A child of the family (another family's child: 404, as if it did not exist)."""
    row = await repo.child_of_family(conn, family_id, child_id)
    if row is None:
        raise NotFound(CHILD_NOT_FOUND)
    return Child.of(row)
