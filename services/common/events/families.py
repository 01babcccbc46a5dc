"""Events published by the families service. No health datum ever travels in them.

State events (`family_updated`, `child_created`, `child_updated`) carry `entity_version`, the
row's own version in the families database: it only grows, so a read model applies an event
only when its `entity_version` is newer than the one it holds (redelivery and reordering never
bring an old state back)."""

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


class ChildUpdated(Event):
    TYPE = "families.child_updated"

    child_id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    school_level: str | None
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
