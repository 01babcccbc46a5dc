"""SQL of the family file: families, guardians, contacts, children (parameterised, no ORM)."""

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.common.db import Conn
from services.common.pagination import Keyset, Page, fetch_page

Values = dict[str, Any]

_GUARDIANS = """
COALESCE((SELECT json_agg(json_build_object(
        'civility', g.civility, 'last_name', g.last_name, 'first_name', g.first_name,
        'relationship', g.relationship, 'phone_mobile', g.phone_mobile,
        'phone_home', g.phone_home, 'phone_work', g.phone_work, 'email', g.email,
        'employer', g.employer) ORDER BY g.position)
    FROM guardians g WHERE g.family_id = f.id), '[]'::json)
"""
_CONTACTS = """
COALESCE((SELECT json_agg(json_build_object(
        'name', c.name, 'relationship', c.relationship, 'phone', c.phone) ORDER BY c.position)
    FROM contacts c WHERE c.family_id = f.id AND c.kind = '{kind}'), '[]'::json)
"""
SELECT_FAMILY = f"""
SELECT f.id, f.name, f.email, f.address_line1, f.address_line2, f.postal_code, f.city,
       f.phone_home, f.phone_mobile, f.phone_work, f.caf_number, f.qf,
       f.created_at, f.updated_at, f.version, f.login_email_version,
       {_GUARDIANS} AS guardians,
       {_CONTACTS.format(kind="emergency")} AS emergency_contacts,
       {_CONTACTS.format(kind="pickup")} AS authorized_pickups
FROM families f
"""
GET_FAMILY = SELECT_FAMILY + "WHERE f.id = $1"
# Serialises every change of one family's file (its own fields, its children, its requests).
LOCK_FAMILY = GET_FAMILY + " FOR UPDATE OF f"
FAMILIES_BY_IDS = SELECT_FAMILY + "WHERE f.id = ANY($1::uuid[])"

EMAIL_TAKEN = "SELECT id FROM families WHERE lower(email) = lower($1)"
INSERT_FAMILY = """
INSERT INTO families (id, email, qf, name, address_line1, address_line2, postal_code, city,
                      phone_home, phone_mobile, phone_work, caf_number)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT DO NOTHING
RETURNING id
"""
UPDATE_FAMILY = """
UPDATE families SET name = $2, address_line1 = $3, address_line2 = $4, postal_code = $5,
       city = $6, phone_home = $7, phone_mobile = $8, phone_work = $9, caf_number = $10,
       updated_at = now(), version = version + 1
WHERE id = $1
"""
SET_QF = """
UPDATE families SET qf = $2, updated_at = now(), version = version + 1 WHERE id = $1
"""
SET_EMAIL = """
UPDATE families SET email = $2, updated_at = now(), version = version + 1 WHERE id = $1
"""
DELETE_GUARDIANS = "DELETE FROM guardians WHERE family_id = $1"
INSERT_GUARDIAN = """
INSERT INTO guardians (family_id, position, civility, last_name, first_name, relationship,
                       phone_mobile, phone_home, phone_work, email, employer)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""
DELETE_CONTACTS = "DELETE FROM contacts WHERE family_id = $1 AND kind = $2"
INSERT_CONTACT = """
INSERT INTO contacts (family_id, kind, position, name, relationship, phone)
VALUES ($1, $2, $3, $4, $5, $6)
"""
CHILD_COLUMNS = """
c.id, c.family_id, c.last_name, c.first_name, c.birth_date, c.sex, c.school, c.school_level,
c.diet, c.diet_detail, c.allergies, c.pai, c.pai_details, c.doctor_name, c.doctor_phone,
c.image_rights_consent, c.allowed_to_leave_alone, c.created_at, c.updated_at, c.version,
c.custody_pattern, c.even_weeks_family_id,
ARRAY(SELECT h.family_id FROM child_households h WHERE h.child_id = c.id
      ORDER BY h.family_id <> c.family_id, h.slot) AS family_ids
"""
# A household's children: every child linked to it (separated parents: a child may be in two).
IN_HOUSEHOLD = """
EXISTS (SELECT 1 FROM child_households h WHERE h.child_id = c.id AND h.family_id = $1)
"""
LIST_CHILDREN = f"""
SELECT {CHILD_COLUMNS} FROM children c WHERE {IN_HOUSEHOLD}
ORDER BY c.birth_date, c.first_name
"""
GET_CHILD = f"SELECT {CHILD_COLUMNS} FROM children c WHERE c.id = $2 AND {IN_HOUSEHOLD}"
LOCK_CHILD = GET_CHILD + " FOR UPDATE OF c"
CHILDREN_BY_IDS = f"SELECT {CHILD_COLUMNS} FROM children c WHERE c.id = ANY($1::uuid[])"
CHILD_BY_ID = f"SELECT {CHILD_COLUMNS} FROM children c WHERE c.id = $1"
LOCK_CHILD_BY_ID = CHILD_BY_ID + " FOR UPDATE OF c"
INSERT_CHILD = """
INSERT INTO children (id, family_id, last_name, first_name, birth_date, sex, school,
                      school_level, diet, diet_detail, allergies, pai, pai_details, doctor_name,
                      doctor_phone, image_rights_consent, allowed_to_leave_alone)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
"""
INSERT_HOUSEHOLD = """
INSERT INTO child_households (child_id, family_id, slot) VALUES ($1, $2, $3)
"""
UPDATE_CHILD = f"""
UPDATE children AS c SET last_name = $3, first_name = $4, birth_date = $5, sex = $6,
       school = $7, school_level = $8, diet = $9, diet_detail = $10, allergies = $11,
       pai = $12, pai_details = $13, doctor_name = $14, doctor_phone = $15,
       image_rights_consent = $16, allowed_to_leave_alone = $17, updated_at = now(),
       version = c.version + 1
WHERE c.id = $2 AND {IN_HOUSEHOLD}
RETURNING {CHILD_COLUMNS}
"""

_CHILD_FIELDS = (
    "last_name", "first_name", "birth_date", "sex", "school", "school_level", "diet",
    "diet_detail", "allergies", "pai", "pai_details", "doctor_name", "doctor_phone",
    "image_rights_consent", "allowed_to_leave_alone",
)
_FAMILY_FIELDS = (
    "name", "address.line1", "address.line2", "address.postal_code", "address.city",
    "phone_home", "phone_mobile", "phone_work", "caf_number",
)


async def get_family(conn: Conn, family_id: uuid.UUID, *, lock: bool = False
                     ) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_FAMILY if lock else GET_FAMILY, family_id)


async def families_by_ids(conn: Conn, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch(FAMILIES_BY_IDS, ids)}


async def email_owner(conn: Conn, email: str) -> uuid.UUID | None:
    owner: uuid.UUID | None = await conn.fetchval(EMAIL_TAKEN, email)
    return owner


async def insert_family(conn: Conn, family_id: uuid.UUID, values: Values, *, email: str,
                        qf: int | None) -> bool:
    """False when a family with this id already exists (the demo seed relies on it)."""
    inserted = await conn.fetchval(
        INSERT_FAMILY, family_id, email, qf, *(values[f] for f in _FAMILY_FIELDS))
    return inserted is not None


async def update_family(conn: Conn, family_id: uuid.UUID, values: Values) -> None:
    """Write the family's own fields and, when they changed, its lists."""
    await conn.execute(UPDATE_FAMILY, family_id, *(values[f] for f in _FAMILY_FIELDS))


async def replace_lists(conn: Conn, family_id: uuid.UUID, values: Values,
                        fields: set[str] | None = None) -> None:
    """Replace the guardians and contact lists named in `fields` (all when None)."""
    if fields is None or "guardians" in fields:
        await conn.execute(DELETE_GUARDIANS, family_id)
        await conn.executemany(INSERT_GUARDIAN, [
            (family_id, position, g["civility"], g["last_name"], g["first_name"],
             g["relationship"], g["phone_mobile"], g["phone_home"], g["phone_work"],
             g["email"], g["employer"])
            for position, g in enumerate(values["guardians"], start=1)
        ])
    for field, kind in (("emergency_contacts", "emergency"), ("authorized_pickups", "pickup")):
        if fields is None or field in fields:
            await conn.execute(DELETE_CONTACTS, family_id, kind)
            await conn.executemany(INSERT_CONTACT, [
                (family_id, kind, position, c["name"], c["relationship"], c["phone"])
                for position, c in enumerate(values[field], start=1)
            ])


async def set_qf(conn: Conn, family_id: uuid.UUID, qf: int | None) -> None:
    await conn.execute(SET_QF, family_id, qf)


async def set_email(conn: Conn, family_id: uuid.UUID, email: str) -> None:
    await conn.execute(SET_EMAIL, family_id, email)


async def set_login_email_version(conn: Conn, family_id: uuid.UUID, version: int) -> None:
    await conn.execute("UPDATE families SET login_email_version = $2 WHERE id = $1",
                       family_id, version)


async def list_children(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(LIST_CHILDREN, family_id)


async def get_child(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID, *,
                    lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_CHILD if lock else GET_CHILD, family_id, child_id)


async def children_by_ids(conn: Conn, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    return {r["id"]: r for r in await conn.fetch(CHILDREN_BY_IDS, ids)}


def _child_args(values: Values) -> list[Any]:
    args = [values.get(f) for f in _CHILD_FIELDS]
    args[2] = date.fromisoformat(values["birth_date"])
    return args


async def insert_child(conn: Conn, child_id: uuid.UUID, family_id: uuid.UUID,
                       values: Values) -> asyncpg.Record:
    """The child's record and its first household."""
    await conn.execute(INSERT_CHILD, child_id, family_id, *_child_args(values))
    await conn.execute(INSERT_HOUSEHOLD, child_id, family_id, 1)
    row = await child_by_id(conn, child_id)
    assert row is not None
    return row


async def child_by_id(conn: Conn, child_id: uuid.UUID, *, lock: bool = False
                      ) -> asyncpg.Record | None:
    """A child whatever its households (staff use cases)."""
    return await conn.fetchrow(LOCK_CHILD_BY_ID if lock else CHILD_BY_ID, child_id)


async def update_child(conn: Conn, family_id: uuid.UUID, child_id: uuid.UUID,
                       values: Values) -> asyncpg.Record:
    row = await conn.fetchrow(UPDATE_CHILD, family_id, child_id, *_child_args(values))
    assert row is not None
    return row


# ---- change requests ---------------------------------------------------------------------

REQUEST_COLUMNS = """
r.id, r.family_id, r.target, r.child_id, r.changes, r.state, r.created_by, r.created_at,
r.decided_by, r.decided_at, r.comment, r.superseded_by
"""
INSERT_REQUEST = f"""
INSERT INTO change_requests AS r (id, family_id, target, child_id, changes, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING {REQUEST_COLUMNS}
"""
GET_REQUEST = f"SELECT {REQUEST_COLUMNS} FROM change_requests r WHERE r.id = $1"
LOCK_REQUEST = GET_REQUEST + " FOR UPDATE"
PENDING_FOR_TARGET = f"""
SELECT {REQUEST_COLUMNS} FROM change_requests r
WHERE r.family_id = $1 AND r.target = $2 AND r.child_id IS NOT DISTINCT FROM $3
  AND r.state = 'pending'
FOR UPDATE
"""
SUPERSEDE = """
UPDATE change_requests SET state = 'superseded', superseded_by = $2, decided_at = now()
WHERE id = $1 AND state = 'pending'
"""
WITHDRAW = f"""
UPDATE change_requests AS r SET state = 'withdrawn', decided_by = $2, decided_at = now()
WHERE r.id = $1 AND r.state = 'pending'
RETURNING {REQUEST_COLUMNS}
"""
DECIDE = f"""
UPDATE change_requests AS r SET state = $2, decided_by = $3, decided_at = now(), comment = $4
WHERE r.id = $1
RETURNING {REQUEST_COLUMNS}
"""
FAMILY_REQUESTS = f"""
SELECT {REQUEST_COLUMNS} FROM change_requests r WHERE r.family_id = $1
ORDER BY r.created_at DESC, r.id
"""
PENDING_OF_FAMILY = f"""
SELECT {REQUEST_COLUMNS} FROM change_requests r
WHERE r.family_id = $1 AND r.state = 'pending'
ORDER BY r.created_at, r.id
"""
# The validation queue: oldest first, so no family waits behind later ones. A family's own
# queue is a statement of its own, so each reads its index without a filter to guess.
QUEUE = Keyset(f"""
SELECT {REQUEST_COLUMNS} FROM change_requests r WHERE r.state = $1 AND {{keyset}}
""", key=("r.created_at", "r.id"), types=(datetime, uuid.UUID))
FAMILY_QUEUE = Keyset(f"""
SELECT {REQUEST_COLUMNS} FROM change_requests r
WHERE r.state = $1 AND r.family_id = $2 AND {{keyset}}
""", key=("r.created_at", "r.id"), types=(datetime, uuid.UUID))
# Counted along the queue's index (no filter to guess: one statement with, one without).
COUNT_QUEUE = "SELECT count(*) FROM change_requests r WHERE r.state = $1"
COUNT_FAMILY_QUEUE = """
SELECT count(*) FROM change_requests r WHERE r.state = $1 AND r.family_id = $2
"""


async def insert_request(conn: Conn, *, request_id: uuid.UUID, family_id: uuid.UUID,
                         target: str, child_id: uuid.UUID | None, changes: list[Values],
                         created_by: str) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_REQUEST, request_id, family_id, target, child_id,
                              changes, created_by)
    assert row is not None
    return row


async def get_request(conn: Conn, request_id: uuid.UUID, *, lock: bool = False
                      ) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCK_REQUEST if lock else GET_REQUEST, request_id)


async def pending_for_target(conn: Conn, family_id: uuid.UUID, target: str,
                             child_id: uuid.UUID | None) -> asyncpg.Record | None:
    return await conn.fetchrow(PENDING_FOR_TARGET, family_id, target, child_id)


async def supersede(conn: Conn, request_id: uuid.UUID, by: uuid.UUID) -> None:
    await conn.execute(SUPERSEDE, request_id, by)


async def withdraw(conn: Conn, request_id: uuid.UUID, *, by: str) -> asyncpg.Record | None:
    """Withdraw a pending request; None when it is no longer pending."""
    return await conn.fetchrow(WITHDRAW, request_id, by)


async def decide(conn: Conn, request_id: uuid.UUID, *, state: str, decided_by: str,
                 comment: str | None) -> asyncpg.Record:
    row = await conn.fetchrow(DECIDE, request_id, state, decided_by, comment)
    assert row is not None
    return row


async def set_changes(conn: Conn, request_id: uuid.UUID, changes: list[Values]) -> None:
    """A decided request's changes with their outcome (field by field)."""
    await conn.execute("UPDATE change_requests SET changes = $2 WHERE id = $1", request_id,
                       changes)


async def family_requests(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(FAMILY_REQUESTS, family_id)


async def pending_of_family(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(PENDING_OF_FAMILY, family_id)


# The queue as an agent filters it: by a name among the family's and its children's (the
# folded search text, trigram-indexed), the kind of change, the requests' age.
_FILTERS = """
WHERE r.state = $1 AND ($2::uuid IS NULL OR r.family_id = $2)
  AND ($3::text IS NULL OR r.target = $3)
  AND ($4::timestamptz IS NULL OR r.created_at <= $4)
  AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM families f WHERE f.id = r.family_id
                                   AND f.search_text LIKE search_like($5, '%', '%')))
"""
FILTERED_QUEUE = Keyset(
    f"SELECT {REQUEST_COLUMNS} FROM change_requests r {_FILTERS} AND {{keyset}}",
    key=("r.created_at", "r.id"), types=(datetime, uuid.UUID))
COUNT_FILTERED_QUEUE = f"SELECT count(*) FROM change_requests r {_FILTERS}"


async def filtered_queue(conn: Conn, *, state: str, family_id: uuid.UUID | None,
                         target: str | None, before: datetime | None, name: str | None,
                         cursor: str | None, limit: int
                         ) -> tuple[Page[asyncpg.Record], int]:
    args = (state, family_id, target, before, name)
    found = await fetch_page(conn, FILTERED_QUEUE, *args, cursor=cursor, limit=limit)
    return found, int(await conn.fetchval(COUNT_FILTERED_QUEUE, *args))


async def queue(conn: Conn, *, state: str, family_id: uuid.UUID | None, cursor: str | None,
                limit: int) -> tuple[Page[asyncpg.Record], int]:
    """A page of the queue, and how many requests it holds."""
    if family_id is None:
        found = await fetch_page(conn, QUEUE, state, cursor=cursor, limit=limit)
        return found, int(await conn.fetchval(COUNT_QUEUE, state))
    found = await fetch_page(conn, FAMILY_QUEUE, state, family_id, cursor=cursor, limit=limit)
    return found, int(await conn.fetchval(COUNT_FAMILY_QUEUE, state, family_id))


# ---- audit trail --------------------------------------------------------------------------

INSERT_AUDIT = """
INSERT INTO audit_entries (actor_sub, actor_role, action, family_id, target_type, target_id,
                           details)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
AUDIT_COLUMNS = "id, at, actor_sub, actor_role, action, family_id, target_type, target_id, details"
AUDIT = Keyset(f"SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE {{keyset}}",
               key=("at", "id"), types=(datetime, int), descending=True)
AUDIT_OF_FAMILY = Keyset(f"""
SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE family_id = $1 AND {{keyset}}
""", key=("at", "id"), types=(datetime, int), descending=True)
FAMILY_AUDIT = f"""
SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE family_id = $1 ORDER BY at, id
"""


async def insert_audit(conn: Conn, *, actor_sub: str, actor_role: str, action: str,
                       family_id: uuid.UUID | None, target_type: str,
                       target_id: uuid.UUID | None, details: Values) -> None:
    await conn.execute(INSERT_AUDIT, actor_sub, actor_role, action, family_id, target_type,
                       target_id, details)


async def audit_entries(conn: Conn, family_id: uuid.UUID | None, *, cursor: str | None,
                        limit: int) -> Page[asyncpg.Record]:
    """A page of the trail, newest first: everyone's, or one family's."""
    if family_id is None:
        return await fetch_page(conn, AUDIT, cursor=cursor, limit=limit)
    return await fetch_page(conn, AUDIT_OF_FAMILY, family_id, cursor=cursor, limit=limit)


FAMILY_NAMES = "SELECT id, name FROM families WHERE id = ANY($1::uuid[])"


async def family_names(conn: Conn, family_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """id → name of those families (one statement for a page of the trail)."""
    return {r["id"]: r["name"] for r in await conn.fetch(FAMILY_NAMES, family_ids)}


async def family_audit(conn: Conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(FAMILY_AUDIT, family_id)
