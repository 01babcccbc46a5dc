"""The read model of families and children: applied from the families events, newest wins."""

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Self

import asyncpg

from services.common.db import Conn
from services.common.errors import Forbidden, NotFound
from services.reservations.households import repo

log = logging.getLogger(__name__)

CHILD_NOT_FOUND = "Enfant introuvable."
# The household knows the child (its past reservations name it): a clear refusal, not a 404.
NO_LONGER_MEMBER = ("Cet enfant n'est plus rattaché à votre foyer : vous ne pouvez plus "
                    "réserver ni annuler pour lui. Vos réservations passées restent "
                    "consultables.")


class ChildNotKnownYet(Exception):
    """An unlink of a child this read model has not received yet: the event is retried (the
    bus's back-off) until the child's earlier events have come, so none is lost."""


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None
    # The child's current households and how they share its days (SPEC §7b).
    family_ids: tuple[uuid.UUID, ...] = ()
    custody_pattern: str | None = None
    even_weeks_family_id: uuid.UUID | None = None

    @classmethod
    def of(cls, row: asyncpg.Record) -> Self:
        return cls(id=row["id"], first_name=row["first_name"], last_name=row["last_name"],
                   birth_date=row["birth_date"], school_level=row["school_level"],
                   family_ids=tuple(row["family_ids"] or ()),
                   custody_pattern=row["custody_pattern"],
                   even_weeks_family_id=row["even_weeks_family_id"])

    def keeper(self, day: date) -> uuid.UUID | None:
        """The household that has `day` under alternate weeks between two households (the
        even ISO weeks `even_weeks_family_id`'s, the odd ones the other's); None when either
        household may book it (free pattern, no pattern, one household)."""
        if (self.custody_pattern != "alternate_weeks" or len(self.family_ids) != 2
                or self.even_weeks_family_id not in self.family_ids):
            return None
        if day.isocalendar().week % 2 == 0:
            return self.even_weeks_family_id
        return next(f for f in self.family_ids if f != self.even_weeks_family_id)


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
                      school_level: str | None, version: int,
                      family_ids: list[uuid.UUID] | None = None,
                      custody_pattern: str | None = None,
                      even_weeks_family_id: uuid.UUID | None = None) -> bool:
    """The child's state, if newer (created, updated, linked): its households become
    `family_ids` (a household left out is ended, never deleted). Without `family_ids` (a
    producer that predates two households) `family_id` joins the child's households and none
    is ended: such a producer never knew of another one."""
    async with conn.transaction():
        applied = await repo.upsert_child(conn, child_id=child_id, first_name=first_name,
                                          last_name=last_name, birth_date=birth_date,
                                          school_level=school_level, version=version,
                                          custody_pattern=custody_pattern,
                                          even_weeks_family_id=even_weeks_family_id)
        if not applied:
            log.info("stale child event ignored", extra={"child_id": str(child_id),
                                                          "entity_version": version})
        elif family_ids:
            await _households(conn, child_id, family_ids, version)
        else:
            await repo.add_membership(conn, family_id, child_id)
    return applied


async def apply_unlinked(conn: Conn, *, child_id: uuid.UUID, family_ids: list[uuid.UUID],
                         version: int, custody_pattern: str | None = None,
                         even_weeks_family_id: uuid.UUID | None = None) -> bool:
    """A household was unlinked from the child, if newer than the state held: the child's
    households become `family_ids`; the unlinked one keeps its reservations."""
    async with conn.transaction():
        applied = await repo.update_custody(conn, child_id=child_id, version=version,
                                            custody_pattern=custody_pattern,
                                            even_weeks_family_id=even_weeks_family_id)
        if applied:
            await _households(conn, child_id, family_ids, version)
        elif not await repo.child_exists(conn, child_id):
            raise ChildNotKnownYet(str(child_id))
        else:
            log.info("stale child event ignored", extra={"child_id": str(child_id),
                                                          "entity_version": version})
    return applied


async def _households(conn: Conn, child_id: uuid.UUID, family_ids: list[uuid.UUID],
                      version: int) -> None:
    ended = await repo.set_memberships(conn, child_id, family_ids)
    if ended:
        log.info("households ended", extra={"child_id": str(child_id),
                                            "family_ids": [str(f) for f in ended],
                                            "entity_version": version})


def _current(row: asyncpg.Record | None) -> Child:
    if row is None:
        raise NotFound(CHILD_NOT_FOUND)
    if row["ended_at"] is not None:
        raise Forbidden(NO_LONGER_MEMBER)
    return Child.of(row)


async def child_of(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID) -> Child:
    """A child of the family (another family's child: 404, as if it did not exist; a child
    the family was unlinked from: 403, with why)."""
    return _current(await repo.child_of_family(conn, family_id, child_id))


async def children_of(conn: Conn, family_id: uuid.UUID, child_ids: list[uuid.UUID], *,
                      lock: bool) -> dict[uuid.UUID, Child]:
    """The children named, each a current child of the family (see `child_of`); locked in
    id order when deciding."""
    wanted = sorted(set(child_ids))
    if lock:
        rows = await repo.lock_children_of_family(conn, family_id, wanted)
    else:
        rows = [r for r in [await repo.child_of_family(conn, family_id, c) for c in wanted]
                if r is not None]
    if len(rows) != len(wanted):
        raise NotFound(CHILD_NOT_FOUND)
    return {r["id"]: _current(r) for r in rows}
