"""Request and response models of the auth API."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, RootModel

Role = Literal["parent", "staff", "admin"]
# Generous bounds: the policy gives the precise French message; these only cap the work.
Password = Field(min_length=1, max_length=1024)
Token = Field(min_length=1, max_length=200)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class LoginBody(Body):
    # Not validated as an address: whatever is wrong, a login answers the same 401.
    email: str = Field(min_length=1, max_length=320)
    password: str = Password


class RefreshBody(Body):
    refresh_token: str = Token


class EmailBody(Body):
    email: str = Field(min_length=1, max_length=320)


class AccountRole(BaseModel):
    """The role of the account using an e-mail (null when none does)."""

    role: Role | None


class TokenBody(Body):
    token: str = Token


class ResetBody(Body):
    token: str = Token
    password: str = Password


class ChangePasswordBody(Body):
    current_password: str = Password
    new_password: str = Password


class EmailChangeBody(Body):
    new_email: EmailStr = Field(max_length=320)
    password: str = Password


class AccountsQuery(BaseModel):
    family_id: uuid.UUID | None = None
    # The service's own accounts (agents and administrators), for the administrator's page.
    staff: bool = False
    # Accounts by id (`?id=…&id=…`): who acted, for the staff's audit trail.
    id: list[uuid.UUID] | None = Field(None, max_length=100)


class Account(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    family_id: uuid.UUID | None


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme
    expires_in: int
    account: Account


class ConfirmedEmail(Tokens):
    email: str


class Me(Account):
    pending_email: str | None
    # Until when the confirmation link of the pending login change is valid.
    pending_email_expires_at: datetime | None = None


class EmailLink(BaseModel):
    """The address a login-change link would confirm."""

    email: str


class TokenInfo(BaseModel):
    email: str
    kind: Literal["reset", "invitation"]


class AccountSummary(Account):
    # An agent's name as the journal shows it (none for parents, or not given).
    display_name: str | None = None
    status: Literal["invited", "active", "disabled"]
    created_at: datetime
    # Latest unused invitation link's expiry (past: the invitation has lapsed).
    invitation_expires_at: datetime | None
    pending_email: str | None
    # The latest logins (sessions opened), newest first, at most 5.
    recent_logins: list[datetime] = Field(default_factory=list)


class AccountStatusBody(BaseModel):
    """Disable an account (its sessions closed at once) or enable it again (admin)."""

    disabled: bool


class AccountList(RootModel[list[AccountSummary]]):
    pass


class Accepted(BaseModel):
    """`{}`: the request was taken into account (whatever it found)."""
