"""Use cases of SEPA mandates: signed online with a one-time code e-mailed to the family's login
address, shown masked, revoked or replaced by the parent.

The code is 6 digits, stored hashed (salted by the mandate), valid `sepa_code_minutes`, a few
wrong entries allowed; a new code is throttled. The IBAN never leaves through an answer, an
event or a log line: only its mask does (and mails carry not even that)."""

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.billing.payments.service import family_of
from services.billing.sepa import repo
from services.billing.sepa.iban import IbanRefused, check_iban
from services.billing.sepa.schemas import (
    CodeIn,
    Creditor,
    DirectDebitOut,
    MandateIn,
    MandateOut,
    MandateState,
)
from services.billing.settings import Settings
from services.common.db import Conn
from services.common.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from services.common.events.billing import MandateCodeRequested, MandateSigned
from services.common.outbox import add_event

log = logging.getLogger(__name__)

PRODUCER = "billing"
CODE_DIGITS = 6


def creditor(settings: Settings) -> Creditor:
    return Creditor(name=settings.sepa_creditor_name, address=settings.sepa_creditor_address,
                    ics=settings.sepa_ics, prenotice_days=settings.sepa_prenotice_days,
                    debit_day=settings.sepa_debit_day)


def new_rum(now: datetime) -> str:
    """« PF-2026-3FA2B91C0D11 »: unique (the column is), 35 characters at most."""
    return f"PF-{now.year}-{secrets.token_hex(6).upper()}"


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(mandate_id: uuid.UUID, code: str) -> str:
    return hashlib.sha256(f"{mandate_id}:{code}".encode()).hexdigest()


def state_of(row: Any) -> MandateState:
    if row["revoked_at"] is not None:
        return "replaced" if row["replaced_by"] is not None else "revoked"
    return "active" if row["signed_at"] is not None else "pending"


def mandate_out(row: Any, *, code_expires_at: datetime | None = None) -> MandateOut:
    return MandateOut(
        id=row["id"], rum=row["rum"], family_id=row["family_id"], holder=row["holder"],
        iban_masked=row["iban_masked"], bic=row["bic"], state=state_of(row),
        created_at=row["created_at"], signed_at=row["signed_at"], revoked_at=row["revoked_at"],
        replaced_by=row["replaced_by"], code_expires_at=code_expires_at)


async def direct_debit(conn: Conn, *, family_id: uuid.UUID, settings: Settings
                       ) -> DirectDebitOut:
    """The family's block: active mandate, the one awaiting its code, the former ones."""
    rows = await repo.family_mandates(conn, family_id)
    active = next((r for r in rows if state_of(r) == "active"), None)
    pending_row = next((r for r in rows if state_of(r) == "pending"), None)
    pending = None
    if pending_row is not None:
        pending = mandate_out(pending_row, code_expires_at=await repo.code_expiry(
            conn, pending_row["id"]))
    former = [mandate_out(r) for r in rows
              if state_of(r) in ("revoked", "replaced") and r["signed_at"] is not None]
    return DirectDebitOut(active=mandate_out(active) if active else None, pending=pending,
                          former=former, creditor=creditor(settings))


async def send_code(conn: Conn, *, mandate_id: uuid.UUID, family_id: uuid.UUID, rum: str,
                    settings: Settings, now: datetime) -> datetime:
    """A new code for the pending mandate (replacing the previous one), e-mailed through the
    outbox; its expiry."""
    family = await family_of(conn, family_id)
    code = new_code()
    expires_at = now + timedelta(minutes=settings.sepa_code_minutes)
    await repo.save_code(conn, mandate_id, code_hash(mandate_id, code), expires_at, now)
    await add_event(conn, MandateCodeRequested(
        mandate_id=mandate_id, family_id=family_id, email=family["email"], rum=rum, code=code,
        expires_at=expires_at), producer=PRODUCER)
    return expires_at


async def create_mandate(conn: Conn, *, family_id: uuid.UUID, body: MandateIn, actor: str,
                         settings: Settings) -> MandateOut:
    """A mandate awaiting its signature (the family's other unsigned ones dropped), and the
    code that signs it sent to the login address."""
    try:
        account = check_iban(body.iban)
    except IbanRefused as refused:
        raise ValidationFailed(str(refused), errors=[
            {"field": "iban", "message": str(refused)}]) from None
    now = datetime.now(UTC)
    mandate_id = uuid.uuid4()
    async with conn.transaction():
        await family_of(conn, family_id)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"mandate:{family_id}")
        # Each new mandate mails a code: a few an hour, no more.
        if await repo.recent_mandates(conn, family_id, now - timedelta(hours=1)) >= \
                settings.sepa_code_sends:
            raise TooManyRequests("Trop de demandes de mandat en une heure. Réessayez plus "
                                  "tard.")
        rum = new_rum(now)
        await repo.insert_mandate(conn, mandate_id=mandate_id, rum=rum, family_id=family_id,
                                  holder=body.holder, iban=account.iban,
                                  iban_masked=account.masked, bic=account.bic,
                                  created_by=actor)
        expires_at = await send_code(conn, mandate_id=mandate_id, family_id=family_id, rum=rum,
                                     settings=settings, now=now)
        row = await repo.get_mandate(conn, mandate_id, family_id)
        assert row is not None
    log.info("mandate created, code sent", extra={"mandate_id": str(mandate_id)})
    return mandate_out(row, code_expires_at=expires_at)


async def pending_mandate(conn: Conn, mandate_id: uuid.UUID, family_id: uuid.UUID) -> Any:
    row = await repo.get_mandate(conn, mandate_id, family_id, lock=True)
    if row is None:
        raise NotFound()
    if row["signed_at"] is not None:
        raise Conflict("Ce mandat est déjà signé.")
    if row["revoked_at"] is not None:
        raise Conflict("Ce mandat n'attend plus de signature : recommencez la demande.")
    return row


async def resend_code(conn: Conn, *, family_id: uuid.UUID, mandate_id: uuid.UUID,
                      settings: Settings) -> MandateOut:
    """Another code, at most one a minute and a few per mandate."""
    now = datetime.now(UTC)
    async with conn.transaction():
        row = await pending_mandate(conn, mandate_id, family_id)
        code = await repo.lock_code(conn, mandate_id)
        if code is not None:
            if code["sends"] >= settings.sepa_code_sends:
                raise TooManyRequests("Trop de codes ont été envoyés pour ce mandat : "
                                      "recommencez la demande de prélèvement.")
            wait = code["sent_at"] + timedelta(seconds=settings.sepa_code_resend_seconds)
            if wait > now:
                seconds = int((wait - now).total_seconds()) + 1
                raise TooManyRequests(f"Un code vient de vous être envoyé. Attendez {seconds} "
                                      "secondes avant d'en demander un autre.")
        expires_at = await send_code(conn, mandate_id=mandate_id, family_id=family_id,
                                     rum=row["rum"], settings=settings, now=now)
    log.info("mandate code sent again", extra={"mandate_id": str(mandate_id)})
    return mandate_out(row, code_expires_at=expires_at)


async def sign(conn: Conn, *, family_id: uuid.UUID, mandate_id: uuid.UUID, body: CodeIn,
               settings: Settings) -> MandateOut:
    """The code entered: the mandate is signed now and becomes the family's active one (a
    former active mandate is replaced: its planned debits move to the new one)."""
    now = datetime.now(UTC)
    wrong: str | None = None
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"mandate:{family_id}")
        row = await pending_mandate(conn, mandate_id, family_id)
        if not body.code:
            raise ValidationFailed(errors=[{"field": "code",
                                            "message": "Saisissez le code reçu par e-mail."}])
        code = await repo.lock_code(conn, mandate_id)
        if code is None or code["expires_at"] <= now:
            raise Conflict("Ce code a expiré. Demandez un nouveau code.")
        if code["attempts"] >= settings.sepa_code_attempts:
            raise TooManyRequests("Trop de codes erronés. Demandez un nouveau code.")
        if not hmac.compare_digest(code["code_hash"], code_hash(mandate_id, body.code)):
            # Counted (committed) before the refusal is answered.
            await repo.code_failed(conn, mandate_id)
            left = settings.sepa_code_attempts - code["attempts"] - 1
            wrong = (f"Code incorrect. Il vous reste {left} essai{'s' if left > 1 else ''}."
                     if left > 0 else "Code incorrect. Demandez un nouveau code.")
        else:
            await repo.drop_code(conn, mandate_id)
            previous = await repo.active_mandate(conn, family_id)
            if previous is not None:
                await repo.revoke(conn, previous["id"], at=now, by="remplacé",
                                  replaced_by=mandate_id)
                await repo.move_debits(conn, previous["id"], mandate_id)
            await repo.sign(conn, mandate_id, now)
            family = await family_of(conn, family_id)
            await add_event(conn, MandateSigned(
                mandate_id=mandate_id, family_id=family_id, email=family["email"],
                rum=row["rum"], creditor_name=settings.sepa_creditor_name, ics=settings.sepa_ics,
                signed_at=now), producer=PRODUCER)
            signed = await repo.get_mandate(conn, mandate_id, family_id)
    if wrong is not None:
        raise ValidationFailed(wrong, errors=[{"field": "code", "message": wrong}])
    log.info("mandate signed", extra={"mandate_id": str(mandate_id),
                                      "replaced": previous is not None})
    return mandate_out(signed)


async def revoke(conn: Conn, *, family_id: uuid.UUID, mandate_id: uuid.UUID, actor: str
                 ) -> MandateOut:
    """The parent stops the mandate: its debits not yet sent to the bank are cancelled."""
    now = datetime.now(UTC)
    async with conn.transaction():
        row = await repo.get_mandate(conn, mandate_id, family_id, lock=True)
        if row is None:
            raise NotFound()
        if row["revoked_at"] is not None:
            raise Conflict("Ce mandat est déjà révoqué.")
        await repo.revoke(conn, mandate_id, at=now, by=actor)
        await repo.cancel_debits(conn, mandate_id)
        done = await repo.get_mandate(conn, mandate_id, family_id)
    log.info("mandate revoked", extra={"mandate_id": str(mandate_id)})
    return mandate_out(done)
