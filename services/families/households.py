"""Separated parents (SPEC §7b): staff link a child to a second household, unlink it, set its
custody. The child's file stays one record; each household keeps its own file.

Lock order, as every use case of the file: the household's family row, then the child's row.
Custody locks the child alone. The child's row is locked in a statement of its own before its
households are read, so a link racing another reads the households the other committed."""

import uuid
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.families import events, repo, views
from services.families.schemas import (
    ChildHouseholds,
    ChildLookup,
    ChildMatch,
    ChildMatches,
    ChildOut,
    ChildPublicOut,
    CustodyIn,
    CustodyOut,
    Household,
    HouseholdLink,
    HouseholdName,
)
from services.families.service import Actor, audit, check_version, locked_family

ALREADY_LINKED = "Cet enfant fait déjà partie de ce foyer."
TWO_HOUSEHOLDS = ("Cet enfant a déjà deux foyers : détachez-le d'abord de l'un d'eux avant de le "
                  "rattacher à un autre.")
UNKNOWN_CHILD = "Aucun enfant ne correspond : recherchez-le par son nom et sa date de naissance."
LAST_HOUSEHOLD = ("C'est le seul foyer de cet enfant : il ne peut pas en être détaché "
                  "(rattachez-le d'abord à un autre foyer).")
NOT_A_HOUSEHOLD = "Choisissez l'un des deux foyers de l'enfant pour les semaines paires."
ONE_HOUSEHOLD = ("Les semaines alternées demandent deux foyers : rattachez d'abord l'enfant à "
                 "son second foyer.")
NO_EVEN_WEEKS = "Une garde libre ne donne les semaines paires à aucun foyer."
SAME_CUSTODY = "Cette garde est déjà celle de l'enfant."

LOCK_CHILD_ROW = "SELECT id FROM children WHERE id = $1 FOR UPDATE"
HOUSEHOLDS = """
SELECT h.family_id, h.slot, h.linked_at, f.name
FROM child_households h JOIN children c ON c.id = h.child_id JOIN families f ON f.id = h.family_id
WHERE h.child_id = $1
ORDER BY h.family_id <> c.family_id, h.slot
"""
DELETE_HOUSEHOLD = "DELETE FROM child_households WHERE child_id = $1 AND family_id = $2"
# Linking, unlinking and custody all bump the child's version: one version orders every event
# about the child (the read models of reservations and billing apply only newer ones).
SET_HOUSEHOLDS = """
UPDATE children SET family_id = $2, custody_pattern = $3, even_weeks_family_id = $4,
       updated_at = now(), version = version + 1
WHERE id = $1
"""
INSERT_LINK = """
INSERT INTO household_links (child_id, family_id, action, reason, actor_sub, actor_role)
VALUES ($1, $2, $3, $4, $5, $6)
"""
HISTORY = """
SELECT l.at, l.action, l.family_id, f.name AS family_name, l.reason, l.actor_sub
FROM household_links l LEFT JOIN families f ON f.id = l.family_id
WHERE l.child_id = $1 ORDER BY l.at, l.id
"""
# The exact identity: names folded (case, accents, hyphens), the birth date equal.
LOOKUP = """
SELECT c.id, c.last_name, c.first_name, c.birth_date,
       COALESCE((SELECT json_agg(json_build_object('family_id', f.id, 'name', f.name)
                                 ORDER BY h.family_id <> c.family_id, h.slot)
                 FROM child_households h JOIN families f ON f.id = h.family_id
                 WHERE h.child_id = c.id), '[]'::json) AS households
FROM children c
WHERE c.birth_date = $3 AND search_fold(c.last_name) = search_fold($1)
  AND search_fold(c.first_name) = search_fold($2)
ORDER BY c.created_at, c.id
LIMIT 20
"""


async def lookup(conn: Conn, query: ChildLookup) -> ChildMatches:
    """Children of this exact identity, each with its households' names (nothing private)."""
    rows = await conn.fetch(LOOKUP, query.last_name, query.first_name, query.birth_date)
    return ChildMatches(items=[
        ChildMatch(id=r["id"], last_name=r["last_name"], first_name=r["first_name"],
                   birth_date=r["birth_date"],
                   households=[HouseholdName(**h) for h in r["households"]])
        for r in rows])


async def _households(conn: Conn, child_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(HOUSEHOLDS, child_id)


async def _lock_child(conn: Conn, child_id: uuid.UUID) -> asyncpg.Record | None:
    """Lock the child's row, then read it and its households afresh (see the module's doc)."""
    if await conn.fetchval(LOCK_CHILD_ROW, child_id) is None:
        return None
    return await repo.child_by_id(conn, child_id)


async def _record(conn: Conn, actor: Actor, *, action: str, child_id: uuid.UUID,
                  family_id: uuid.UUID, reason: str) -> None:
    """The child's history, and the household's audit trail."""
    await conn.execute(INSERT_LINK, child_id, family_id, action, reason, actor.sub, actor.role)
    await audit(conn, actor, f"child.{action}", family_id=family_id, target_type="child",
                target_id=child_id, details={"reason": reason})


async def link_child(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID, reason: str,
                     actor: Actor) -> ChildOut | ChildPublicOut:
    """Link an existing child to this household (its second); 409 in French when it is there
    already or has two households, whoever got there first (the database has the last word)."""
    async with conn.transaction():
        await locked_family(conn, family_id)
        child = await _lock_child(conn, child_id)
        if child is None:
            raise ValidationFailed(errors=[{"field": "child_id", "message": UNKNOWN_CHILD}])
        if family_id in child["family_ids"]:
            raise Conflict(ALREADY_LINKED)
        used = {h["slot"] for h in await _households(conn, child_id)}
        free = sorted({1, 2} - used)
        if not free:
            raise Conflict(TWO_HOUSEHOLDS)
        try:
            await conn.execute(repo.INSERT_HOUSEHOLD, child_id, family_id, free[0])
        except asyncpg.UniqueViolationError as exc:  # a link of the same child, a moment ago
            raise Conflict(TWO_HOUSEHOLDS) from exc
        await conn.execute(SET_HOUSEHOLDS, child_id, child["family_id"],
                           child["custody_pattern"], child["even_weeks_family_id"])
        await _record(conn, actor, action="linked", child_id=child_id, family_id=family_id,
                      reason=reason)
        row = await repo.child_by_id(conn, child_id)
        assert row is not None
        await events.child_linked(conn, row, family_id=family_id)
    return views.child_out(row, health=True, household=family_id)


async def unlink_child(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID, reason: str,
                       actor: Actor) -> ChildHouseholds:
    """Unlink the child from this household: it stays in the other one, with its history; what
    this household booked stays its own. Its pending requests about the child are withdrawn.
    Custody goes back to « libre » (one household left)."""
    async with conn.transaction():
        await locked_family(conn, family_id)
        child = await _lock_child(conn, child_id)
        if child is None or family_id not in child["family_ids"]:
            raise NotFound()
        remaining = [f for f in child["family_ids"] if f != family_id]
        if not remaining:
            raise Conflict(LAST_HOUSEHOLD)
        # Custody first: its foreign key names the household about to go.
        await conn.execute(SET_HOUSEHOLDS, child_id, remaining[0], "free", None)
        await conn.execute(DELETE_HOUSEHOLD, child_id, family_id)
        pending = await repo.pending_for_target(conn, family_id, "child", child_id)
        if pending is not None:  # the household no longer sees the child
            await repo.withdraw(conn, pending["id"], by=actor.sub)
            await audit(conn, actor, "change_request.withdrawn", family_id=family_id,
                        target_type="change_request", target_id=pending["id"],
                        details={"target": "child", "child_id": str(child_id),
                                 "reason": reason})
        await _record(conn, actor, action="unlinked", child_id=child_id, family_id=family_id,
                      reason=reason)
        row = await repo.child_by_id(conn, child_id)
        assert row is not None
        await events.child_unlinked(conn, row, family_id=family_id)
        return await _view(conn, row)


async def set_custody(conn: Conn, *, child_id: uuid.UUID, body: CustodyIn, actor: Actor,
                      version: int | None = None) -> ChildHouseholds:
    """« libre », or alternate weeks between the child's two households (audited in both)."""
    async with conn.transaction():
        child = await _lock_child(conn, child_id)
        if child is None:
            raise NotFound()
        check_version(child, version)
        even = body.even_weeks_family_id
        field = "even_weeks_family_id"
        if body.pattern == "free" and even is not None:
            raise ValidationFailed(errors=[{"field": field, "message": NO_EVEN_WEEKS}])
        if body.pattern == "alternate_weeks":
            if len(child["family_ids"]) < 2:
                raise ValidationFailed(errors=[{"field": "pattern", "message": ONE_HOUSEHOLD}])
            if even not in child["family_ids"]:
                raise ValidationFailed(errors=[{"field": field, "message": NOT_A_HOUSEHOLD}])
        if (child["custody_pattern"], child["even_weeks_family_id"]) == (body.pattern, even):
            raise ValidationFailed(SAME_CUSTODY)
        await conn.execute(SET_HOUSEHOLDS, child_id, child["family_id"], body.pattern, even)
        before = CustodyIn(pattern=child["custody_pattern"],
                           even_weeks_family_id=child["even_weeks_family_id"])
        details: dict[str, Any] = {"old": before.model_dump(mode="json"),
                                   "new": body.model_dump(mode="json")}
        for household in child["family_ids"]:
            await audit(conn, actor, "child.custody_changed", family_id=household,
                        target_type="child", target_id=child_id, details=details)
        row = await repo.child_by_id(conn, child_id)
        assert row is not None
        await events.child_changed(conn, row, created=False)
        return await _view(conn, row)


async def read_households(conn: Conn, *, child_id: uuid.UUID) -> ChildHouseholds:
    row = await repo.child_by_id(conn, child_id)
    if row is None:
        raise NotFound()
    return await _view(conn, row)


async def _view(conn: Conn, row: asyncpg.Record) -> ChildHouseholds:
    households = await _households(conn, row["id"])
    history = await conn.fetch(HISTORY, row["id"])
    return ChildHouseholds(
        child_id=row["id"], last_name=row["last_name"], first_name=row["first_name"],
        birth_date=row["birth_date"], version=row["version"],
        households=[Household(family_id=h["family_id"], name=h["name"],
                              linked_at=h["linked_at"]) for h in households],
        custody=CustodyOut(pattern=row["custody_pattern"],
                           even_weeks_family_id=row["even_weeks_family_id"]),
        history=[HouseholdLink(**dict(h)) for h in history])
