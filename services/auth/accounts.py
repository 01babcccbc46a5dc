"""Use cases of accounts: login e-mail change, invitations, staff listing, seeds."""

import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.auth import repo
from services.auth.errors import EmailTaken, LinkGone
from services.auth.passwords import policy_errors
from services.auth.schemas import AccountList, AccountRole, AccountSummary, ConfirmedEmail
from services.auth.service import (
    PRODUCER,
    AuthContext,
    digest,
    field_errors,
    new_secret,
    normalise_email,
    open_session,
    password_turn,
    sessions_revoked,
)
from services.auth.throttle import account_key
from services.common import demo
from services.common.db import Conn
from services.common.errors import (
    Conflict,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from services.common.events.auth import AccountInvited, EmailChanged, EmailChangeRequested
from services.common.events.families import FamilyCreated
from services.common.outbox import add_event

log = logging.getLogger(__name__)

WRONG_PASSWORD = "Le mot de passe est incorrect."  # noqa: S105 - a message
EMAIL_IN_USE = "Cette adresse e-mail est déjà utilisée."
SAME_EMAIL = "C'est déjà votre adresse de connexion."
TOO_MANY_CHANGES = ("Trop de liens de confirmation ont été envoyés à cette adresse. "
                    "Veuillez réessayer dans une heure.")
ACCOUNTS_LIMIT = 500


def email_change_key(new_email: str) -> str:
    """The key counting confirmation mails to one address (in the reset requests' log, apart
    from the reset links by its prefix)."""
    return "email_change:" + account_key(new_email)


async def request_email_change(ctx: AuthContext, pool: asyncpg.Pool, *,
                               account_id: uuid.UUID, new_email: str, password: str,
                               address: str | None) -> None:
    """Mail a confirmation link to the new address; the login stays as it is until then."""
    async with pool.acquire() as conn:
        account = await repo.account(conn, account_id)
    if account is None:
        raise Unauthorized()
    # The password proves it is the parent, not someone at an unlocked screen: throttled.
    new_email = normalise_email(new_email)
    async with password_turn(ctx, pool, email=account["email"], address=address) as check:
        right = await ctx.passwords.verify(account["password_hash"], password)
        # An address in use tells that it has an account: counted as a failure, so probing
        # addresses is throttled (and locked) like guessing a password.
        taken = (right and new_email != account["email"]
                 and await repo.email_taken(check.conn, new_email, by_other_than=account_id))
        check.right = right and not taken
    if not right:
        raise ValidationFailed(errors=field_errors("password", [WRONG_PASSWORD]))
    if new_email == account["email"]:
        raise ValidationFailed(errors=field_errors("new_email", [SAME_EMAIL]))
    if taken:
        log.info("login change to an address in use", extra={"account_id": str(account_id)})
        raise ValidationFailed(errors=field_errors("new_email", [EMAIL_IN_USE]))
    async with pool.acquire() as conn, conn.transaction():
        if await repo.email_taken(conn, new_email, by_other_than=account_id):
            raise ValidationFailed(errors=field_errors("new_email", [EMAIL_IN_USE]))
        await _mail_email_link(ctx, conn, account, new_email)
    log.info("e-mail change requested", extra={"account_id": str(account_id)})


async def _mail_email_link(ctx: AuthContext, conn: Conn, account: asyncpg.Record,
                           new_email: str) -> None:
    """A new confirmation link to `new_email` (the older one dies), in the caller's
    transaction; confirmation mails to one address are capped, as reset links are (mail
    bombing)."""
    recent = await repo.log_reset_request(conn, email_change_key(new_email),
                                          purge=secrets.randbelow(200) == 0)
    if recent > ctx.settings.email_change_requests_per_hour:
        log.warning("login change link not sent", extra={
            "account_id": str(account["id"]), "requests_this_hour": recent})
        raise TooManyRequests(TOO_MANY_CHANGES, retry_after=3600)
    token, token_hash = new_secret()
    expires_at = datetime.now(UTC) + timedelta(hours=ctx.settings.email_change_token_hours)
    await repo.invalidate_one_time(conn, account["id"], ["email_change"])
    await repo.insert_one_time(conn, token_hash=token_hash, account_id=account["id"],
                               kind="email_change", new_email=new_email,
                               expires_at=expires_at)
    await add_event(conn, EmailChangeRequested(
        account_id=account["id"], old_email=account["email"], new_email=new_email,
        token=token, expires_at=expires_at), producer=PRODUCER)


NO_PENDING_CHANGE = "Aucun changement d'adresse n'est en attente de confirmation."


async def resend_email_link(ctx: AuthContext, pool: asyncpg.Pool, *,
                            account_id: uuid.UUID) -> None:
    """« Renvoyer le lien »: a new link to the pending address (the old one dies)."""
    async with pool.acquire() as conn, conn.transaction():
        account = await repo.account(conn, account_id, for_update=True)
        if account is None:
            raise Unauthorized()
        pending = await repo.pending_email_change(conn, account_id)
        if pending is None:
            raise Conflict(NO_PENDING_CHANGE)
        if await repo.email_taken(conn, pending["new_email"], by_other_than=account_id):
            await repo.invalidate_one_time(conn, account_id, ["email_change"])
            raise ValidationFailed(errors=field_errors("new_email", [EMAIL_IN_USE]))
        await _mail_email_link(ctx, conn, account, pending["new_email"])
    log.info("e-mail change link sent again", extra={"account_id": str(account_id)})


async def cancel_email_change(pool: asyncpg.Pool, *, account_id: uuid.UUID) -> None:
    """« Annuler la demande »: the pending link dies; the login stays as it is."""
    async with pool.acquire() as conn:
        await repo.invalidate_one_time(conn, account_id, ["email_change"])
    log.info("e-mail change cancelled", extra={"account_id": str(account_id)})


async def email_link(pool: asyncpg.Pool, *, token: str) -> str:
    """The address a login-change link would confirm (410 when it can no longer be used);
    looking does not use it."""
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.one_time_for_update(conn, digest(token), ["email_change"])
    if row is None:
        raise LinkGone()
    return str(row["new_email"])


async def confirm_email(ctx: AuthContext, pool: asyncpg.Pool, *, token: str) -> ConfirmedEmail:
    """Switch the login to the confirmed address and log in (409 if it was taken since)."""
    token_hash = digest(token)
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.one_time_for_update(conn, token_hash, ["email_change"])
        if row is None:
            raise LinkGone()
        account_id, new_email = row["account_id"], row["new_email"]
        if await repo.email_taken(conn, new_email, by_other_than=account_id):
            raise EmailTaken()
        try:
            async with conn.transaction():
                version = await repo.set_email(conn, account_id, new_email)
        except asyncpg.UniqueViolationError as exc:  # taken by a concurrent change
            raise EmailTaken() from exc
        await repo.use_one_time(conn, token_hash)
        # Links mailed to the old address must not outlive it.
        await repo.void_links(conn, account_id)
        await add_event(conn, EmailChanged(
            account_id=account_id, family_id=row["account_family_id"],
            old_email=row["account_email"], new_email=new_email, entity_version=version),
            producer=PRODUCER)
        account = await repo.account(conn, account_id)
        assert account is not None
        tokens = await open_session(ctx, conn, account)
    log.info("e-mail changed", extra={"account_id": str(account_id)})
    return ConfirmedEmail(**tokens.model_dump(), email=new_email)


async def invite(ctx: AuthContext, conn: Conn, account: asyncpg.Record) -> None:
    """A new invitation link (7 days) for `account`, replacing any earlier one; in the
    caller's transaction."""
    token, token_hash = new_secret()
    expires_at = datetime.now(UTC) + timedelta(days=ctx.settings.invitation_token_days)
    await repo.invalidate_one_time(conn, account["id"], ["invitation"])
    await repo.insert_one_time(conn, token_hash=token_hash, account_id=account["id"],
                               kind="invitation", expires_at=expires_at)
    await add_event(conn, AccountInvited(
        account_id=account["id"], family_id=account["family_id"], email=account["email"],
        token=token, expires_at=expires_at), producer=PRODUCER)


async def family_created(ctx: AuthContext, conn: Conn, event: FamilyCreated) -> None:
    """The family's parent gets an account and an invitation, unless an account with that
    e-mail exists: it is then linked to the family, and nothing is sent."""
    email = normalise_email(event.email)
    existing = await repo.account_by_email(conn, email, for_update=True)
    if existing is None:
        account = await repo.insert_account(
            conn, account_id=uuid.uuid4(), email=email, password_hash=None, role="parent",
            family_id=event.family_id, status="invited")
        await invite(ctx, conn, account)
        log.info("account invited", extra={"account_id": str(account["id"]),
                                           "family_id": str(event.family_id)})
        return
    if existing["role"] != "parent":
        # Families refuses a staff address; should one get through, a staff account never
        # becomes a family's (it would see the family's file as its parent).
        log.warning("staff account not linked to a family", extra={
            "account_id": str(existing["id"]), "family_id": str(event.family_id)})
        return
    linked = await repo.link_family(conn, existing["id"], event.family_id)
    if not linked and existing["family_id"] != event.family_id:
        log.warning("account already belongs to another family, not linked", extra={
            "account_id": str(existing["id"]), "family_id": str(event.family_id)})
    else:
        log.info("existing account linked to family", extra={
            "account_id": str(existing["id"]), "family_id": str(event.family_id)})


async def reissue_invitation(ctx: AuthContext, pool: asyncpg.Pool, *,
                             account_id: uuid.UUID) -> None:
    async with pool.acquire() as conn, conn.transaction():
        account = await repo.account(conn, account_id, for_update=True)
        if account is None:
            raise NotFound("Compte introuvable.")
        if account["status"] != "invited":
            raise Conflict("Ce compte est déjà activé : le parent peut utiliser « Mot de passe "
                           "oublié » s'il ne s'en souvient plus.")
        await invite(ctx, conn, account)


async def list_accounts(pool: asyncpg.Pool, *, family_id: uuid.UUID | None,
                        ids: list[uuid.UUID] | None = None, staff: bool = False
                        ) -> AccountList:
    async with pool.acquire() as conn:
        rows = await repo.accounts(conn, family_id=family_id, limit=ACCOUNTS_LIMIT, ids=ids,
                                   staff=staff)
    return AccountList([AccountSummary(**dict(r)) for r in rows])


NOT_YOURSELF = "Vous ne pouvez pas désactiver votre propre compte."


async def set_disabled(ctx: AuthContext, pool: asyncpg.Pool, *, account_id: uuid.UUID,
                       disabled: bool, actor: uuid.UUID) -> AccountSummary:
    """Disable an account — its sessions closed at once, here and (through
    `auth.session_revoked`) in every service — or enable it again: active when it has a
    password, else invited as before (admin)."""
    if disabled and account_id == actor:
        raise Conflict(NOT_YOURSELF)
    async with pool.acquire() as conn, conn.transaction():
        account = await repo.account(conn, account_id, for_update=True)
        if account is None:
            raise NotFound("Compte introuvable.")
        if disabled:
            await repo.set_status(conn, account_id, "disabled")
            closed = await repo.revoke_account_sessions(conn, account_id, keep=None,
                                                        reason="disabled")
            await sessions_revoked(ctx, conn, closed)
        elif account["status"] == "disabled":
            await repo.set_status(conn, account_id,
                                  "active" if account["password_hash"] else "invited")
        log.info("account status set", extra={"account_id": str(account_id),
                                               "disabled": disabled, "by": str(actor)})
        [row] = await repo.accounts(conn, family_id=None, limit=1, ids=[account_id])
    return AccountSummary(**dict(row))


async def role_of(pool: asyncpg.Pool, *, email: str) -> AccountRole:
    async with pool.acquire() as conn:
        account = await repo.account_by_email(conn, normalise_email(email))
    return AccountRole(role=account["role"] if account is not None else None)


async def create_staff(ctx: AuthContext, pool: asyncpg.Pool, *, email: str, role: str,
                       password: str | None, name: str | None = None) -> asyncpg.Record:
    """A staff or admin account: active with `password`, or invited by e-mail without one;
    `name` is what the journal shows. Raises ValueError (French) when refused."""
    email = normalise_email(email)
    name = " ".join((name or "").split()) or None
    if name is not None and (len(name) > 100 or not name.isprintable()):
        raise ValueError("Le nom doit tenir en 100 caractères imprimables.")
    if password is not None:
        errors = policy_errors(password, email=email)
        if errors:
            raise ValueError(" ".join(errors))
    password_hash = await ctx.passwords.hash(password) if password is not None else None
    async with pool.acquire() as conn, conn.transaction():
        if await repo.account_by_email(conn, email) is not None:
            raise ValueError("Un compte existe déjà avec cette adresse e-mail.")
        account = await repo.insert_account(
            conn, account_id=uuid.uuid4(), email=email, password_hash=password_hash,
            role=role, family_id=None, status="active" if password_hash else "invited")
        if name is not None:
            await repo.set_display_name(conn, account["id"], name)
        if password_hash is None:
            await invite(ctx, conn, account)
    return account


def demo_account_id(email: str) -> uuid.UUID:
    """Stable ids for the demo accounts, so every fresh demo looks the same."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"portail-famille:demo:{email}")


async def seed_demo(ctx: AuthContext, pool: asyncpg.Pool) -> list[asyncpg.Record]:
    """The demo parents (two households) and agent, active with the published demo password
    (exempt from the policy: its hash is written directly). Safe to run again."""
    password_hash = await ctx.passwords.hash(demo.DEMO_PASSWORD)
    seeded = []
    async with pool.acquire() as conn, conn.transaction():
        for email, role, family_id in (
            (demo.DEMO_PARENT_EMAIL, "parent", demo.DEMO_FAMILY_ID),
            (demo.DEMO_PARENT2_EMAIL, "parent", demo.DEMO_FAMILY2_ID),
            (demo.DEMO_AGENT_EMAIL, "staff", None),
        ):
            account = await repo.upsert_active_account(
                conn, account_id=demo_account_id(email), email=email,
                password_hash=password_hash, role=role, family_id=family_id)
            await repo.invalidate_one_time(conn, account["id"], ["invitation"])
            if role == "staff":
                await repo.set_display_name(conn, account["id"], demo.DEMO_AGENT_NAME)
            seeded.append(account)
    return seeded
