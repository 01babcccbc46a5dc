"""Change requests: parents propose, staff approve (applied atomically) or reject.

Rule for a new proposal on a target (the family file, or one child) that already has a
pending request: the new request supersedes it and carries over its untouched fields, so
there is at most one pending request per target and staff always decide the latest wish.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.errors import Conflict, NotFound, ValidationFailed
from services.common.validation import validate
from services.families import events, repo, views
from services.families.schemas import (
    ChangeRequestOut,
    ChangeRequestPage,
    ChildCreate,
    ChildPatch,
    Decision,
    FamilyPatch,
    QueueQuery,
)
from services.families.service import (
    LIST_FIELDS,
    Actor,
    apply_family_changes,
    audit,
    check_version,
    fresh_family,
    locked_family,
)
from services.families.values import (
    CHILD_LABELS,
    FAMILY_LABELS,
    all_values,
    applied,
    check_child,
    child_values,
    conflicts,
    diff,
    family_values,
    merge_proposal,
    sent_values,
)

ALREADY_DECIDED = "Cette demande a déjà été traitée."
BASE_CHANGED = ("Les informations ont été modifiées depuis cette demande : elle ne peut plus "
                "être approuvée. Vous pouvez la refuser.")


# ---- parents propose -----------------------------------------------------------------------

async def request_family_change(conn: Conn, *, family_id: uuid.UUID, patch: FamilyPatch,
                                actor: Actor, version: int | None = None) -> ChangeRequestOut:
    async with conn.transaction():
        row = await locked_family(conn, family_id)
        check_version(row, version)
        return await _propose(conn, family_id=family_id, target="family", child_id=None,
                              current=family_values(row), sent=sent_values(patch),
                              labels=FAMILY_LABELS, actor=actor)


async def request_child_change(conn: Conn, *, family_id: uuid.UUID, child_id: uuid.UUID,
                               patch: ChildPatch, actor: Actor, version: int | None = None
                               ) -> ChangeRequestOut:
    async with conn.transaction():
        await locked_family(conn, family_id)
        row = await repo.get_child(conn, family_id, child_id)
        if row is None:
            raise NotFound()
        check_version(row, version)
        return await _propose(conn, family_id=family_id, target="child", child_id=child_id,
                              current=child_values(row), sent=sent_values(patch),
                              labels=CHILD_LABELS, actor=actor)


async def request_new_child(conn: Conn, *, family_id: uuid.UUID, body: ChildCreate,
                            actor: Actor) -> ChangeRequestOut:
    """Each new child is its own request; the child gets its id now, its record on approval."""
    values = all_values(body)
    check_child(values)
    changes = diff({}, {k: v for k, v in values.items() if v is not None}, CHILD_LABELS)
    async with conn.transaction():
        await locked_family(conn, family_id)
        row = await repo.insert_request(
            conn, request_id=uuid.uuid4(), family_id=family_id, target="new_child",
            child_id=uuid.uuid4(), changes=changes, created_by=actor.sub)
        await _audit_submitted(conn, actor, row, superseded=None)
    return views.request_out(row)


async def _propose(conn: Conn, *, family_id: uuid.UUID, target: str,
                   child_id: uuid.UUID | None, current: dict[str, Any], sent: dict[str, Any],
                   labels: Mapping[str, str], actor: Actor) -> ChangeRequestOut:
    """Under the family lock: merge with the pending request of the target, supersede it."""
    pending = await repo.pending_for_target(conn, family_id, target, child_id)
    changes = merge_proposal(current, pending["changes"] if pending else [], sent, labels)
    if not changes:  # every pending field set back to its value in force
        assert pending is not None
        return await _withdraw(conn, pending, actor)
    if target == "child":
        check_child(applied(current, changes))
    request_id = uuid.uuid4()
    if pending is not None:
        await repo.supersede(conn, pending["id"], request_id)
    row = await repo.insert_request(conn, request_id=request_id, family_id=family_id,
                                    target=target, child_id=child_id, changes=changes,
                                    created_by=actor.sub)
    await _audit_submitted(conn, actor, row, superseded=pending["id"] if pending else None)
    return views.request_out(row)


async def withdraw_request(conn: Conn, *, family_id: uuid.UUID, request_id: uuid.UUID,
                           actor: Actor) -> ChangeRequestOut:
    """The parent takes back a request staff have not decided yet (409 once decided)."""
    async with conn.transaction():
        await locked_family(conn, family_id)
        request = await repo.get_request(conn, request_id, lock=True)
        if request is None or request["family_id"] != family_id:
            raise NotFound()
        if request["state"] != "pending":
            raise Conflict(ALREADY_DECIDED, state=request["state"])
        return await _withdraw(conn, request, actor)


async def _withdraw(conn: Conn, request: asyncpg.Record, actor: Actor) -> ChangeRequestOut:
    row = await repo.withdraw(conn, request["id"], by=actor.sub)
    assert row is not None  # locked and pending
    await audit(conn, actor, "change_request.withdrawn", family_id=row["family_id"],
                target_type="change_request", target_id=row["id"],
                details={"target": row["target"], "child_id": _str(row["child_id"])})
    return views.request_out(row)


async def _audit_submitted(conn: Conn, actor: Actor, row: asyncpg.Record,
                           superseded: uuid.UUID | None) -> None:
    await audit(conn, actor, "change_request.submitted", family_id=row["family_id"],
                target_type="change_request", target_id=row["id"],
                details={"target": row["target"], "child_id": _str(row["child_id"]),
                         "changes": row["changes"], "supersedes": _str(superseded)})


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


# ---- reading -------------------------------------------------------------------------------

async def family_requests(conn: Conn, *, family_id: uuid.UUID) -> list[ChangeRequestOut]:
    if await repo.get_family(conn, family_id) is None:
        raise NotFound()
    return [views.request_out(r) for r in await repo.family_requests(conn, family_id)]


async def validation_queue(conn: Conn, query: QueueQuery) -> ChangeRequestPage:
    """Oldest first, each change with the value in force beside it and conflicts flagged."""
    if query.q or query.target or query.older_than_days is not None:
        before = (datetime.now(UTC) - timedelta(days=query.older_than_days)
                  if query.older_than_days is not None else None)
        found, total = await repo.filtered_queue(
            conn, state=query.state, family_id=query.family_id, target=query.target,
            before=before, name=query.q.strip() if query.q else None, cursor=query.cursor,
            limit=query.page_size)
    else:
        found, total = await repo.queue(conn, state=query.state, family_id=query.family_id,
                                        cursor=query.cursor, limit=query.page_size)
    return ChangeRequestPage(items=await _with_context(conn, found.items), total=total,
                             next_cursor=found.next_cursor,
                             previous_cursor=found.previous_cursor)


async def read_request(conn: Conn, *, request_id: uuid.UUID) -> ChangeRequestOut:
    row = await repo.get_request(conn, request_id)
    if row is None:
        raise NotFound()
    return (await _with_context(conn, [row]))[0]


async def _with_context(conn: Conn, rows: list[asyncpg.Record]) -> list[ChangeRequestOut]:
    families = await repo.families_by_ids(conn, list({r["family_id"] for r in rows}))
    children = await repo.children_by_ids(
        conn, list({r["child_id"] for r in rows if r["target"] == "child"}))
    out = []
    for row in rows:
        family = families.get(row["family_id"])
        child = children.get(row["child_id"]) if row["target"] == "child" else None
        extra: dict[str, Any] = {
            "family_name": family["name"] if family else None,
            "child_name": _child_name(row, child),
        }
        if row["state"] == "pending" and row["target"] != "new_child":
            base = child_values(child) if child else family_values(family) if family else {}
            extra["changes"] = [
                {**c, "current": base.get(c["field"]),
                 "conflict": base.get(c["field"]) != c["old"]}
                for c in row["changes"]
            ]
            extra["conflict"] = any(c["conflict"] for c in extra["changes"])
        elif row["state"] == "pending":
            extra["conflict"] = False
        out.append(views.request_out(row, **extra))
    return out


def _child_name(request: asyncpg.Record, child: asyncpg.Record | None) -> str | None:
    if child is not None:
        return f"{child['first_name']} {child['last_name']}"
    if request["target"] == "new_child":
        values = {c["field"]: c["new"] for c in request["changes"]}
        return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
    return None


# ---- staff decide --------------------------------------------------------------------------

async def decide(conn: Conn, *, request_id: uuid.UUID, body: Decision, actor: Actor
                 ) -> ChangeRequestOut:
    """Approve (apply every field, or nothing) or reject; tell the parent through an event."""
    head = await repo.get_request(conn, request_id)
    if head is None:
        raise NotFound()
    async with conn.transaction():
        # Family first, then the request: the order submissions use, so neither waits on the
        # other in a cycle.
        family = await locked_family(conn, head["family_id"])
        request = await repo.get_request(conn, request_id, lock=True)
        assert request is not None
        if request["state"] != "pending":
            raise Conflict(ALREADY_DECIDED, state=request["state"])
        outcome: list[dict[str, Any]] | None = None
        if body.decision == "approve":
            outcome = decided_changes(request, body)
            to_apply = [{k: v for k, v in c.items() if k not in ("outcome", "asked")}
                        for c in outcome if c["outcome"] == "applied"]
            child_name = await _apply(conn, request, family, actor, to_apply)
            if body.refused or body.corrections:
                await repo.set_changes(conn, request_id, outcome)
        else:
            child = (await repo.get_child(conn, request["family_id"], request["child_id"])
                     if request["target"] == "child" else None)
            child_name = _child_name(request, child)
        decided = await repo.decide(
            conn, request_id, state="approved" if body.decision == "approve" else "rejected",
            decided_by=actor.sub, comment=body.comment)
        await audit(conn, actor, f"change_request.{decided['state']}",
                    family_id=request["family_id"], target_type="change_request",
                    target_id=request_id,
                    details={"target": request["target"], "child_id": _str(request["child_id"]),
                             "changes": request["changes"], "comment": body.comment})
        await events.request_decided(conn, request=decided,
                                     family=await fresh_family(conn, request["family_id"]),
                                     child_name=child_name, decision=decided["state"],
                                     outcome=outcome)
    return views.request_out(decided)


NOT_IN_REQUEST = "Cette information ne fait pas partie de la demande."
NOTHING_LEFT = ("Toutes les modifications sont refusées : refusez la demande entière avec "
                "« Refuser ».")
NEW_CHILD_WHOLE = "Un ajout d'enfant s'accepte ou se refuse en entier."
LIST_WHOLE = "Une liste de personnes s'accepte ou se refuse en entier : elle ne se corrige pas."


def decided_changes(request: asyncpg.Record, body: Decision) -> list[dict[str, Any]]:
    """The request's changes with their outcome (`applied` or `refused`) and, where staff
    corrected a value, the value applied (`new`, the asked one kept as `asked`); 422 in French
    on a field that is not in the request, a list corrected, a new child taken in part, or
    nothing left to apply."""
    changes: list[dict[str, Any]] = request["changes"]
    fields = {c["field"] for c in changes}
    errors = [{"field": f"refused.{f}", "message": NOT_IN_REQUEST}
              for f in body.refused if f not in fields]
    errors += [{"field": f"corrections.{f}", "message": NOT_IN_REQUEST}
               for f in body.corrections if f not in fields or f in body.refused]
    errors += [{"field": f"corrections.{f}", "message": LIST_WHOLE}
               for f in body.corrections if f in LIST_FIELDS]
    if request["target"] == "new_child" and (body.refused or body.corrections):
        errors.append({"field": "refused", "message": NEW_CHILD_WHOLE})
    if fields and fields <= set(body.refused):
        errors.append({"field": "refused", "message": NOTHING_LEFT})
    if errors:
        raise ValidationFailed(errors=errors)
    corrected = _checked_corrections(request["target"], body.corrections)
    out = []
    for change in changes:
        field = change["field"]
        if field in body.refused:
            out.append({**change, "outcome": "refused"})
        elif field in corrected and corrected[field] != change["new"]:
            out.append({**change, "asked": change["new"], "new": corrected[field],
                        "outcome": "applied"})
        else:
            out.append({**change, "outcome": "applied"})
    return out


def _checked_corrections(target: str, corrections: Mapping[str, Any]) -> dict[str, Any]:
    """The corrected values checked and normalised as a parent's input is (« 06 12 34 56
    78 »), named `corrections.<field>` in a refusal."""
    if not corrections:
        return {}
    patch: dict[str, Any] = {}
    for field, value in corrections.items():
        if field.startswith("address."):
            patch.setdefault("address", {})[field.removeprefix("address.")] = value
        else:
            patch[field] = value
    try:
        model = validate(FamilyPatch if target == "family" else ChildPatch, patch)
    except ValidationFailed as exc:
        exc.errors = [{**e, "field": f"corrections.{e.get('field', '')}"}
                      for e in exc.errors or []]
        raise
    return {f: v for f, v in sent_values(model).items() if f in corrections}


async def _apply(conn: Conn, request: asyncpg.Record, family: asyncpg.Record, actor: Actor,
                 changes: list[dict[str, Any]]) -> str | None:
    """Apply the accepted `changes` of a request (the family row is locked); 409 if their
    base moved."""
    family_id: uuid.UUID = request["family_id"]
    details = {"changes": changes, "change_request_id": str(request["id"])}
    if request["target"] == "family":
        current = family_values(family)
        _refuse_conflicts(current, changes)
        await apply_family_changes(conn, family_id, current, changes)
        await audit(conn, actor, "family.updated", family_id=family_id, target_type="family",
                    target_id=family_id, details=details)
        await events.family_updated(conn, await fresh_family(conn, family_id))
        return None
    if request["target"] == "child":
        child = await repo.get_child(conn, family_id, request["child_id"], lock=True)
        if child is None:
            raise NotFound()
        current = child_values(child)
        _refuse_conflicts(current, changes)
        row = await repo.update_child(conn, family_id, child["id"], applied(current, changes))
        action, created = "child.updated", False
    else:
        values = {c["field"]: c["new"] for c in changes}
        row = await repo.insert_child(conn, request["child_id"], family_id, values)
        action, created = "child.created", True
    await audit(conn, actor, action, family_id=family_id, target_type="child",
                target_id=row["id"], details=details)
    await events.child_changed(conn, row, created=created)
    return f"{row['first_name']} {row['last_name']}"


def _refuse_conflicts(current: dict[str, Any], changes: list[dict[str, Any]]) -> None:
    moved = conflicts(current, changes)
    if moved:
        raise Conflict(BASE_CHANGED, conflicts=moved)
