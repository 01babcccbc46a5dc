"""Rows to answers: the file in force with its pending values, health data only when allowed."""

import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg

from services.families.schemas import (
    AddressOut,
    AuditEntry,
    ChangeRequestOut,
    ChildCustodyOut,
    ChildOut,
    ChildPublicOut,
    ContactOut,
    FamilyOut,
    FamilySummary,
    FieldChange,
    GuardianOut,
    PendingChild,
    PendingValue,
)
from services.families.values import HEALTH_FIELDS


def pending_values(requests: Iterable[asyncpg.Record], *, health: bool
                   ) -> dict[str, PendingValue]:
    """field → proposed value of the pending requests (one per target, see the service)."""
    out: dict[str, PendingValue] = {}
    for request in requests:
        for change in request["changes"]:
            if not health and change["field"] in HEALTH_FIELDS:
                continue
            out[change["field"]] = PendingValue(
                value=change["new"], label=change["label"], change_request_id=request["id"])
    return out


def family_out(row: asyncpg.Record, pending: Iterable[asyncpg.Record] = ()) -> FamilyOut:
    return FamilyOut(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        address=AddressOut(line1=row["address_line1"], line2=row["address_line2"],
                           postal_code=row["postal_code"], city=row["city"]),
        phone_home=row["phone_home"],
        phone_mobile=row["phone_mobile"],
        phone_work=row["phone_work"],
        caf_number=row["caf_number"],
        qf=row["qf"],
        guardians=[GuardianOut(**g) for g in row["guardians"]],
        emergency_contacts=[ContactOut(**c) for c in row["emergency_contacts"]],
        authorized_pickups=[ContactOut(**c) for c in row["authorized_pickups"]],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        # The family's own fields hold no health datum.
        pending=pending_values(pending, health=True),
    )


def child_out(row: asyncpg.Record, pending: Iterable[asyncpg.Record] = (), *,
              health: bool, household: uuid.UUID | None = None) -> ChildOut | ChildPublicOut:
    """The child for its family and staff (`health`), or without health data for others.
    `family_id` is the household it is read through (`household`): a child of two households
    never names the other one to a parent."""
    fields = {k: row[k] for k in ChildOut.model_fields if k not in ("pending", "custody")}
    reader = household or row["family_id"]
    fields["family_id"] = reader
    even = row["even_weeks_family_id"]
    fields["custody"] = ChildCustodyOut(
        other_household=any(f != reader for f in row["family_ids"]),
        pattern=row["custody_pattern"],
        even_weeks=None if even is None else
        "this_household" if even == reader else "other_household")
    proposed = pending_values(pending, health=health)
    if health:
        return ChildOut(**fields, pending=proposed)
    public = {k: v for k, v in fields.items() if k not in HEALTH_FIELDS}
    return ChildPublicOut(**public, pending=proposed)


def pending_child(request: asyncpg.Record, *, health: bool) -> PendingChild:
    return PendingChild(
        change_request_id=request["id"],
        created_at=request["created_at"],
        values={c["field"]: c["new"] for c in request["changes"]
                if health or c["field"] not in HEALTH_FIELDS},
    )


def request_out(row: asyncpg.Record, **extra: Any) -> ChangeRequestOut:
    changes = extra.pop("changes", None) or row["changes"]
    return ChangeRequestOut(
        id=row["id"],
        family_id=row["family_id"],
        target=row["target"],
        child_id=row["child_id"],
        state=row["state"],
        changes=[FieldChange(**c) for c in changes],
        created_by=row["created_by"],
        created_at=row["created_at"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        comment=row["comment"],
        superseded_by=row["superseded_by"],
        **extra,
    )


def family_summary(row: asyncpg.Record) -> FamilySummary:
    return FamilySummary(
        id=row["id"], name=row["name"], email=row["email"], postal_code=row["postal_code"],
        city=row["city"], qf=row["qf"], children=list(row["children"]),
        pending_requests=row["pending_requests"],
    )


def audit_entry(row: asyncpg.Record, family_name: str | None = None) -> AuditEntry:
    return AuditEntry(**{k: row[k] for k in AuditEntry.model_fields if k != "family_name"},
                      family_name=family_name)
