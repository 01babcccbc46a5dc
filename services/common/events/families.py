"""Events published by the families service. No health datum ever travels in them.

State events (`family_updated`, `child_created`, `child_updated`) carry `entity_version`, the
row's own version in the families database: it only grows, so a read model applies an event
only when its `entity_version` is newer than the one it holds (redelivery and reordering never
bring an old state back).

A child may belong to two households (separated parents, SPEC §7b): `family_ids` lists them all,
the first being `family_id`; linking and unlinking bump the child's `entity_version`, so one
version orders every event about a child. `custody` is the pattern the households follow."""

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from services.common.events import Event


class Address(BaseModel):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str


class Custody(BaseModel):
    """How two households share a child's days: « libre » (either books any day) or alternate
    weeks, `even_weeks_family_id` being the household that has the even ISO weeks."""

    pattern: Literal["free", "alternate_weeks"]
    even_weeks_family_id: uuid.UUID | None = None


class FamilyCreated(Event):
    """Staff created a family: auth creates the parent's account and invites them."""

    TYPE = "families.family_created"

    family_id: uuid.UUID
    name: str
    email: str


class FamilyUpdated(Event):
    """The family's file in force changed (billing keeps its QF and address)."""

    TYPE = "families.family_updated"

    family_id: uuid.UUID
    name: str
    email: str
    address: Address | None
    qf: int | None
    entity_version: int


class ChildCreated(Event):
    TYPE = "families.child_created"

    child_id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None
    entity_version: int
    # Every household of the child (`family_id` first); empty from a producer that predates
    # two households: then `family_id` alone.
    family_ids: list[uuid.UUID] = Field(default_factory=list)
    custody: Custody | None = None


class ChildUpdated(Event):
    TYPE = "families.child_updated"

    child_id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None
    entity_version: int
    # Every household of the child (`family_id` first); empty from a producer that predates
    # two households: then `family_id` alone.
    family_ids: list[uuid.UUID] = Field(default_factory=list)
    custody: Custody | None = None


class ChildLinked(Event):
    """Staff linked an existing child to another household (`family_id`): that household now
    sees and books the child. `family_ids` is every household after the link."""

    TYPE = "families.child_linked"

    child_id: uuid.UUID
    family_id: uuid.UUID
    family_ids: list[uuid.UUID]
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None
    custody: Custody | None = None
    entity_version: int


class ChildUnlinked(Event):
    """Staff unlinked the child from a household (`family_id`): it can no longer book the
    child; what it booked stays its own. `family_ids` is the households that remain."""

    TYPE = "families.child_unlinked"

    child_id: uuid.UUID
    family_id: uuid.UUID
    family_ids: list[uuid.UUID]
    custody: Custody | None = None
    entity_version: int


class ChangeRequestDecided(Event):
    """Staff approved or rejected a parent's change: the parent is told by e-mail."""

    TYPE = "families.change_request_decided"

    change_request_id: uuid.UUID
    family_id: uuid.UUID
    email: str
    family_name: str
    subject: Literal["family", "child", "new_child"]
    child_name: str | None
    decision: Literal["approved", "rejected"]
    comment: str | None
    # French labels of the fields concerned, for the e-mail ("Adresse", "Téléphone"…).
    fields: list[str]
    # Decided field by field: the labels of those refused, and of those applied with a value
    # staff corrected (never the values: health data stays out of events).
    refused_fields: list[str] = Field(default_factory=list)
    corrected_fields: list[str] = Field(default_factory=list)
