"""Request and response models of the families service."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from services.families.fields import (
    BirthDate,
    Civility,
    Comment,
    Diet,
    Email,
    Label,
    Line,
    Name,
    OptCafNumber,
    OptComment,
    OptEmail,
    OptLine,
    OptLongText,
    OptName,
    OptPhone,
    PageCursor,
    Phone,
    PostalCode,
    Qf,
    SchoolLevel,
    SearchText,
    Sex,
    not_null,
)

State = Literal["pending", "approved", "rejected", "superseded", "withdrawn"]
Target = Literal["family", "child", "new_child"]


class Input(BaseModel):
    """What clients send: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


# ---- family: input -------------------------------------------------------------------------

class Address(Input):
    line1: Line
    line2: OptLine = None
    postal_code: PostalCode
    city: Name


class AddressPatch(Input):
    """Only the parts sent change."""

    line1: Line | None = None
    line2: OptLine = None
    postal_code: PostalCode | None = None
    city: Name | None = None

    _required = field_validator("line1", "postal_code", "city")(not_null)


class Guardian(Input):
    civility: Civility
    last_name: Name
    first_name: Name
    relationship: Label = Field(description="mère, père, tuteur…")
    phone_mobile: OptPhone = None
    phone_home: OptPhone = None
    phone_work: OptPhone = None
    email: OptEmail = None
    employer: OptName = None


class Contact(Input):
    name: Name
    relationship: Label
    phone: Phone


class FamilyCreate(Input):
    """Staff open a family file; the parent's account is created from `email`."""

    name: Name
    email: Email
    address: Address
    phone_home: OptPhone = None
    phone_mobile: OptPhone = None
    phone_work: OptPhone = None
    caf_number: OptCafNumber = None
    qf: Qf | None = None
    guardians: list[Guardian] = Field(default_factory=list, max_length=2)
    emergency_contacts: list[Contact] = Field(default_factory=list, max_length=10)
    authorized_pickups: list[Contact] = Field(default_factory=list, max_length=10)


class FamilyPatch(Input):
    """A partial change: only the fields sent count. Lists are replaced whole."""

    name: Name | None = None
    address: AddressPatch | None = None
    phone_home: OptPhone = None
    phone_mobile: OptPhone = None
    phone_work: OptPhone = None
    caf_number: OptCafNumber = None
    guardians: list[Guardian] | None = Field(None, max_length=2)
    emergency_contacts: list[Contact] | None = Field(None, max_length=10)
    authorized_pickups: list[Contact] | None = Field(None, max_length=10)

    _required = field_validator(
        "name", "address", "guardians", "emergency_contacts", "authorized_pickups"
    )(not_null)


class QfUpdate(Input):
    qf: Qf | None
    comment: OptComment = None


# ---- child: input --------------------------------------------------------------------------

class ChildCreate(Input):
    last_name: Name
    first_name: Name
    birth_date: BirthDate
    sex: Sex
    school: OptName = None
    school_level: SchoolLevel | None = None
    diet: Diet = "none"
    diet_detail: OptName = None
    allergies: OptLongText = None
    pai: bool = False
    pai_details: OptLongText = None
    doctor_name: OptName = None
    doctor_phone: OptPhone = None
    image_rights_consent: bool = False
    allowed_to_leave_alone: bool = False


class ChildPatch(Input):
    last_name: Name | None = None
    first_name: Name | None = None
    birth_date: BirthDate | None = None
    sex: Sex | None = None
    school: OptName = None
    school_level: SchoolLevel | None = None
    diet: Diet | None = None
    diet_detail: OptName = None
    allergies: OptLongText = None
    pai: bool | None = None
    pai_details: OptLongText = None
    doctor_name: OptName = None
    doctor_phone: OptPhone = None
    image_rights_consent: bool | None = None
    allowed_to_leave_alone: bool | None = None

    _required = field_validator(
        "last_name", "first_name", "birth_date", "sex", "diet", "pai",
        "image_rights_consent", "allowed_to_leave_alone",
    )(not_null)


# ---- change requests: input ----------------------------------------------------------------

class Decision(Input):
    decision: Literal["approve", "reject"]
    # Field by field (approve only): the fields refused (a comment says why), and values staff
    # corrected before accepting them (single fields; a list is accepted or refused whole).
    refused: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=40)
    corrections: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(
        default_factory=dict, max_length=40)
    comment: OptComment = Field(None, validate_default=True)

    @field_validator("comment")
    @classmethod
    def _comment_when_rejecting(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "reject" and not value:
            raise ValueError("Un commentaire est obligatoire pour refuser une demande.")
        if info.data.get("refused") and not value:
            raise ValueError("Un commentaire est obligatoire pour les modifications refusées.")
        return value


# ---- queries -------------------------------------------------------------------------------

class Paging(Input):
    """Keyset pages: `cursor` is the `next_cursor` or `previous_cursor` of the page before."""

    cursor: PageCursor = None
    page_size: int = Field(20, ge=1, le=100)


class FamilySearch(Paging):
    q: SearchText = None


class QueueQuery(Paging):
    state: State = "pending"
    family_id: uuid.UUID | None = None
    # Filters of an agent working the queue: a family's or child's name (words of the search
    # text), the kind of change, requests waiting at least so many days.
    q: SearchText = None
    target: Target | None = None
    older_than_days: int | None = Field(None, ge=0, le=3650)


class AuditQuery(Paging):
    family_id: uuid.UUID | None = None


# ---- outputs -------------------------------------------------------------------------------

class Output(BaseModel):
    pass


class AddressOut(Output):
    line1: str
    line2: str | None
    postal_code: str
    city: str


class GuardianOut(Output):
    civility: str
    last_name: str
    first_name: str
    relationship: str
    phone_mobile: str | None
    phone_home: str | None
    phone_work: str | None
    email: str | None
    employer: str | None


class ContactOut(Output):
    name: str
    relationship: str
    phone: str


class PendingValue(Output):
    """A value proposed by the parent and awaiting staff (« en attente de validation »)."""

    value: Any
    label: str
    change_request_id: uuid.UUID


class FamilyOut(Output):
    id: uuid.UUID
    name: str
    email: str
    address: AddressOut
    phone_home: str | None
    phone_mobile: str | None
    phone_work: str | None
    caf_number: str | None
    qf: int | None
    guardians: list[GuardianOut]
    emergency_contacts: list[ContactOut]
    authorized_pickups: list[ContactOut]
    created_at: datetime
    updated_at: datetime
    version: int
    pending: dict[str, PendingValue] = Field(
        default_factory=dict, description="field → value awaiting validation")


class ChildCustodyOut(Output):
    """Custody as the reading household sees it (separated parents): whether the child has
    another household (never which: its name and file stay its own), the pattern, and whose
    the even ISO weeks are under alternate weeks."""

    other_household: bool
    pattern: Literal["free", "alternate_weeks"]
    even_weeks: Literal["this_household", "other_household"] | None


class ChildPublicOut(Output):
    """A child without health data (what an integrator sees)."""

    id: uuid.UUID
    family_id: uuid.UUID
    last_name: str
    first_name: str
    birth_date: date
    sex: str
    school: str | None
    school_level: str | None
    diet: str
    diet_detail: str | None
    image_rights_consent: bool
    allowed_to_leave_alone: bool
    created_at: datetime
    updated_at: datetime
    version: int
    custody: ChildCustodyOut
    pending: dict[str, PendingValue] = Field(default_factory=dict)


class ChildOut(ChildPublicOut):
    """A child with health data: for the family's parent and staff only."""

    allergies: str | None
    pai: bool
    pai_details: str | None
    doctor_name: str | None
    doctor_phone: str | None


class FieldChange(Output):
    field: str
    label: str
    old: Any
    new: Any
    # Filled in the staff queue: the value in force now, and whether it moved since the request.
    current: Any = None
    conflict: bool | None = None
    # Decided field by field: applied or refused; `asked` is what the family asked when staff
    # corrected the value applied (`new`).
    outcome: Literal["applied", "refused"] | None = None
    asked: Any = None


class ChangeRequestOut(Output):
    id: uuid.UUID
    family_id: uuid.UUID
    target: Target
    child_id: uuid.UUID | None
    state: State
    changes: list[FieldChange]
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    superseded_by: uuid.UUID | None
    family_name: str | None = None
    child_name: str | None = None
    conflict: bool | None = None


class PendingChild(Output):
    """A child the parent asked to add, awaiting validation."""

    change_request_id: uuid.UUID
    created_at: datetime
    values: dict[str, Any]


class ChildrenOut(Output):
    items: list[ChildOut | ChildPublicOut]
    # Children the parent asked to add, not yet approved.
    pending_children: list[PendingChild]


class FamilySummary(Output):
    id: uuid.UUID
    name: str
    email: str
    postal_code: str
    city: str
    qf: int | None
    children: list[str]
    pending_requests: int


class CursorPage(Output):
    """A page of a list; the cursors of the pages around it are None where there is none."""

    next_cursor: str | None
    previous_cursor: str | None


class FamilyPage(CursorPage):
    items: list[FamilySummary]
    # Families found, when the search counted them (a search ranks, hence counts, up to
    # 500 matches); None beyond, and for the whole list.
    total: int | None


class ChangeRequestPage(CursorPage):
    items: list[ChangeRequestOut]
    # Requests in the queue (with its filters), on every page: the agents' to-do count.
    total: int


class AuditEntry(Output):
    id: int
    at: datetime
    actor_sub: str
    actor_role: str
    action: str
    family_id: uuid.UUID | None
    target_type: str
    target_id: uuid.UUID | None
    details: dict[str, Any]
    # The family's name as it is now (the journal names whom each row is about).
    family_name: str | None = None


class AuditPage(CursorPage):
    items: list[AuditEntry]


class ChangeRequestList(Output):
    items: list[ChangeRequestOut]


# ---- households (separated parents) --------------------------------------------------------

Reason = Annotated[Comment, StringConstraints(max_length=500)]


class ChildLookup(Input):
    """Staff look a child up by its exact identity before linking it (never by guessing):
    both names (case and accents aside) and the exact birth date, all required."""

    last_name: Name
    first_name: Name
    birth_date: BirthDate


class LinkChild(Input):
    child_id: uuid.UUID
    reason: Reason


class UnlinkChild(Input):
    reason: Reason


class CustodyIn(Input):
    """« libre », or alternate weeks: the household given has the even ISO weeks."""

    pattern: Literal["free", "alternate_weeks"]
    even_weeks_family_id: uuid.UUID | None = None


class HouseholdName(Output):
    """A household as another one's staff page names it: its name, nothing private."""

    family_id: uuid.UUID
    name: str


class ChildMatch(Output):
    id: uuid.UUID
    last_name: str
    first_name: str
    birth_date: date
    households: list[HouseholdName]


class ChildMatches(Output):
    items: list[ChildMatch]


class Household(HouseholdName):
    linked_at: datetime


class CustodyOut(Output):
    pattern: Literal["free", "alternate_weeks"]
    even_weeks_family_id: uuid.UUID | None


class HouseholdLink(Output):
    """One link or unlink of the child, as staff recorded it."""

    at: datetime
    action: Literal["linked", "unlinked"]
    family_id: uuid.UUID
    family_name: str | None
    reason: str
    actor_sub: str


class ChildHouseholds(Output):
    """The child's households side by side (names only: each keeps its own file), its custody
    and the history of its links (staff)."""

    child_id: uuid.UUID
    last_name: str
    first_name: str
    birth_date: date
    version: int
    households: list[Household]
    custody: CustodyOut
    history: list[HouseholdLink]
