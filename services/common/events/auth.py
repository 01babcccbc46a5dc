"""Events published by the auth service.

Events that lead to an e-mail with a link carry the one-time token itself: only the notifier
consumes them, and the outbox purges published rows after a few days. The token is never logged.
"""

import uuid
from datetime import datetime

from services.common.events import Event


class PasswordResetRequested(Event):
    TYPE = "auth.password_reset_requested"

    account_id: uuid.UUID
    email: str
    token: str
    expires_at: datetime


class AccountInvited(Event):
    """A family's account was created by staff: the parent chooses a password (7 days)."""

    TYPE = "auth.account_invited"

    account_id: uuid.UUID
    family_id: uuid.UUID | None
    email: str
    token: str
    expires_at: datetime


class EmailChangeRequested(Event):
    """A link to the new address confirms it; a notice goes to the old one."""

    TYPE = "auth.email_change_requested"

    account_id: uuid.UUID
    old_email: str
    new_email: str
    token: str
    expires_at: datetime


class EmailChanged(Event):
    TYPE = "auth.email_changed"

    account_id: uuid.UUID
    family_id: uuid.UUID | None
    old_email: str
    new_email: str
    # The address's version on the account (1 for its first change): a consumer applies only
    # a newer one. Absent from events written before it existed (applied as they come).
    entity_version: int | None = None


class PasswordChanged(Event):
    TYPE = "auth.password_changed"

    account_id: uuid.UUID
    email: str
    changed_at: datetime


class SessionRevoked(Event):
    """A session was closed (logout, refresh-token reuse, password change or reset): every
    service refuses its access tokens (`sid` claim) from now on; none of them is valid after
    `expires_at`, so nobody needs to remember it longer."""

    TYPE = "auth.session_revoked"

    sid: str
    expires_at: datetime
