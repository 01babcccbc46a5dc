"""Use cases of the family file: reading, staff edits, creation, QF, login e-mail, export."""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.families import events, repo, views
from services.families.schemas import (
    AuditPage,
    AuditQuery,
    ChildCreate,
    ChildOut,
    ChildPatch,
    ChildPublicOut,
    ChildrenOut,
    FamilyCreate,
    FamilyOut,
    FamilyPage,
    FamilyPatch,
    FamilySearch,
    QfUpdate,
)
from services.families.search import search_families
from services.families.values import (
    CHILD_LABELS,
    FAMILY_LABELS,
    NOTHING_CHANGED,
    all_values,
    applied,
    check_child,
    child_values,
    diff,
    family_values,
    sent_values,
)

log = logging.getLogger(__name__)

LIST_FIELDS = frozenset({"guardians", "emergency_contacts", "authorized_pickups"})
EMAIL_TAKEN = "Une famille utilise déjà cette adresse e-mail."


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit trail records it."""

    sub: str
    role: str


SYSTEM = Actor(sub="system", role="system")


async def audit(conn: Conn, actor: Actor, action: str, *, family_id: uuid.UUID | None,
                target_type: str, target_id: uuid.UUID | None, details: dict[str, Any]
                ) -> None:
    await repo.insert_audit(conn, actor_sub=actor.sub, actor_role=actor.role, action=action,
                            family_id=family_id, target_type=target_type, target_id=target_id,
                            details=details)


def check_version(row: asyncpg.Record, expected: int | None) -> None:
    """Optimistic check: the client edited version `expected` (If-Match)."""
    if expected is not None and row["version"] != expected:
        raise Conflict("Ces informations ont été modifiées entre-temps. "
                       "Rechargez la page avant de recommencer.", current_version=row["version"])


async def locked_family(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record:
    row = await repo.get_family(conn, family_id, lock=True)
    if row is None:
        raise NotFound()
    return row


async def fresh_family(conn: Conn, family_id: uuid.UUID) -> asyncpg.Record:
    row = await repo.get_family(conn, family_id)
    assert row is not None
    return row


# ---- reading -------------------------------------------------------------------------------

async def read_family(conn: Conn, *, family_id: uuid.UUID) -> FamilyOut:
    row = await repo.get_family(conn, family_id)
    if row is None:
        raise NotFound()
    pending = await repo.pending_of_family(conn, family_id)
    return views.family_out(row, [p for p in pending if p["target"] == "family"])


async def read_children(conn: Conn, *, family_id: uuid.UUID, health: bool) -> ChildrenOut:
    if await repo.get_family(conn, family_id) is None:
        raise NotFound()
    rows = await repo.list_children(conn, family_id)
    pending = await repo.pending_of_family(conn, family_id)
    return ChildrenOut(
        items=[
            views.child_out(row, [p for p in pending if p["child_id"] == row["id"]
                                  and p["target"] == "child"], health=health,
                            household=family_id)
            for row in rows
        ],
        pending_children=[views.pending_child(p, health=health)
                          for p in pending if p["target"] == "new_child"],
    )


async def read_child(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID, health: bool
                     ) -> ChildOut | ChildPublicOut:
    row = await repo.get_child(conn, family_id, child_id)
    if row is None:
        raise NotFound()
    pending = await repo.pending_of_family(conn, family_id)
    return views.child_out(
        row, [p for p in pending if p["child_id"] == child_id and p["target"] == "child"],
        health=health, household=family_id)


# ---- staff: creation and direct changes ----------------------------------------------------

async def create_family(conn: Conn, *, body: FamilyCreate, actor: Actor,
                        family_id: uuid.UUID | None = None) -> FamilyOut:
    """Open a family file; auth creates and invites the parent's account from the event."""
    family_id = family_id or uuid.uuid4()
    values = all_values(body)
    email, qf = values.pop("email"), values.pop("qf")
    async with conn.transaction():
        if await repo.email_owner(conn, email) is not None:
            raise ValidationFailed(errors=[{"field": "email", "message": EMAIL_TAKEN}])
        try:
            inserted = await repo.insert_family(conn, family_id, values, email=email, qf=qf)
        except asyncpg.UniqueViolationError as exc:  # the same e-mail, a moment earlier
            raise ValidationFailed(errors=[{"field": "email", "message": EMAIL_TAKEN}]) from exc
        if not inserted:
            raise Conflict("Cette famille existe déjà.")
        await repo.replace_lists(conn, family_id, values)
        await audit(conn, actor, "family.created", family_id=family_id, target_type="family",
                    target_id=family_id, details={"values": values, "email": email, "qf": qf})
        row = await fresh_family(conn, family_id)
        await events.family_created(conn, row)
        # Billing keeps the address and QF from family_updated: give it the first version too.
        await events.family_updated(conn, row)
    return views.family_out(row)


async def change_family(conn: Conn, *, family_id: uuid.UUID, patch: FamilyPatch, actor: Actor,
                        version: int | None = None) -> FamilyOut:
    """Staff change the file at once (audited); pending requests may then be in conflict."""
    async with conn.transaction():
        row = await locked_family(conn, family_id)
        check_version(row, version)
        current = family_values(row)
        changes = diff(current, sent_values(patch), FAMILY_LABELS)
        if not changes:
            raise ValidationFailed(NOTHING_CHANGED)
        await apply_family_changes(conn, family_id, current, changes)
        await audit(conn, actor, "family.updated", family_id=family_id, target_type="family",
                    target_id=family_id, details={"changes": changes})
        row = await fresh_family(conn, family_id)
        await events.family_updated(conn, row)
        pending = await repo.pending_of_family(conn, family_id)
    return views.family_out(row, [p for p in pending if p["target"] == "family"])


async def apply_family_changes(conn: Conn, family_id: uuid.UUID, current: dict[str, Any],
                               changes: list[dict[str, Any]]) -> None:
    new = applied(current, changes)
    await repo.update_family(conn, family_id, new)
    lists = {c["field"] for c in changes} & LIST_FIELDS
    if lists:
        await repo.replace_lists(conn, family_id, new, lists)


async def create_child(conn: Conn, *, family_id: uuid.UUID, body: ChildCreate, actor: Actor,
                       child_id: uuid.UUID | None = None) -> ChildOut | ChildPublicOut:
    values = all_values(body)
    check_child(values)
    child_id = child_id or uuid.uuid4()
    async with conn.transaction():
        await locked_family(conn, family_id)
        row = await repo.insert_child(conn, child_id, family_id, values)
        await audit(conn, actor, "child.created", family_id=family_id, target_type="child",
                    target_id=child_id, details={"values": values})
        await events.child_changed(conn, row, created=True)
    return views.child_out(row, health=True, household=family_id)


async def change_child(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID,
                       patch: ChildPatch, actor: Actor, version: int | None = None
                       ) -> ChildOut | ChildPublicOut:
    async with conn.transaction():
        await locked_family(conn, family_id)
        row = await repo.get_child(conn, family_id, child_id, lock=True)
        if row is None:
            raise NotFound()
        check_version(row, version)
        current = child_values(row)
        changes = diff(current, sent_values(patch), CHILD_LABELS)
        if not changes:
            raise ValidationFailed(NOTHING_CHANGED)
        new = applied(current, changes)
        check_child(new)
        row = await repo.update_child(conn, family_id, child_id, new)
        await audit(conn, actor, "child.updated", family_id=family_id, target_type="child",
                    target_id=child_id, details={"changes": changes})
        await events.child_changed(conn, row, created=False)
        pending = await repo.pending_of_family(conn, family_id)
    return views.child_out(
        row, [p for p in pending if p["child_id"] == child_id and p["target"] == "child"],
        health=True, household=family_id)


async def set_qf(conn: Conn, *, family_id: uuid.UUID, body: QfUpdate, actor: Actor,
                 version: int | None = None) -> FamilyOut:
    """Staff set the quotient familial from the CAF attestation (audited; billing follows)."""
    async with conn.transaction():
        row = await locked_family(conn, family_id)
        check_version(row, version)
        if row["qf"] != body.qf:
            await repo.set_qf(conn, family_id, body.qf)
            await audit(conn, actor, "family.qf_changed", family_id=family_id,
                        target_type="family", target_id=family_id,
                        details={"old": row["qf"], "new": body.qf, "comment": body.comment})
            row = await fresh_family(conn, family_id)
            await events.family_updated(conn, row)
        pending = await repo.pending_of_family(conn, family_id)
    return views.family_out(row, [p for p in pending if p["target"] == "family"])


async def follow_login_email(conn: Conn, *, family_id: uuid.UUID, new_email: str,
                             version: int | None = None) -> bool:
    """The contact e-mail is the parent's login: follow its change (audited, by "system"),
    unless a newer change of that login was applied already (`version`, the login's)."""
    email = new_email.lower()
    async with conn.transaction():
        row = await repo.get_family(conn, family_id, lock=True)
        if row is None:
            log.warning("login e-mail changed for an unknown family",
                        extra={"family_id": str(family_id)})
            return False
        if version is not None:
            if version <= row["login_email_version"]:
                return False  # late or repeated: a newer login is in force
            await repo.set_login_email_version(conn, family_id, version)
        if row["email"] == email:
            return False
        await repo.set_email(conn, family_id, email)
        await audit(conn, SYSTEM, "family.email_changed", family_id=family_id,
                    target_type="family", target_id=family_id,
                    details={"old": row["email"], "new": email})
        await events.family_updated(conn, await fresh_family(conn, family_id))
    return True


# ---- staff: search, audit; everyone's export -----------------------------------------------

async def search(conn: Conn, query: FamilySearch) -> FamilyPage:
    found, total = await search_families(conn, query.q, cursor=query.cursor,
                                         limit=query.page_size)
    return FamilyPage(items=[views.family_summary(r) for r in found.items], total=total,
                      next_cursor=found.next_cursor, previous_cursor=found.previous_cursor)


async def audit_page(conn: Conn, query: AuditQuery) -> AuditPage:
    found = await repo.audit_entries(conn, query.family_id, cursor=query.cursor,
                                     limit=query.page_size)
    names = await repo.family_names(conn, list({r["family_id"] for r in found.items
                                               if r["family_id"] is not None}))
    return AuditPage(items=[views.audit_entry(r, names.get(r["family_id"]))
                            for r in found.items],
                     next_cursor=found.next_cursor, previous_cursor=found.previous_cursor)


async def export(conn: Conn, *, family_id: uuid.UUID) -> dict[str, Any]:
    """Everything held about the family (RGPD right of access), from one snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        family = await read_family(conn, family_id=family_id)
        children = await read_children(conn, family_id=family_id, health=True)
        requests = await repo.family_requests(conn, family_id)
        trail = await repo.family_audit(conn, family_id)
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "family": family.model_dump(mode="json"),
        "children": [c.model_dump(mode="json") for c in children.items],
        "pending_children": [p.model_dump(mode="json") for p in children.pending_children],
        "change_requests": [views.request_out(r).model_dump(mode="json") for r in requests],
        "audit": [views.audit_entry(r).model_dump(mode="json") for r in trail],
    }
