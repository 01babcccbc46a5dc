"""Which mails each event calls for: recipients, templates and what they show."""

from collections.abc import Callable
from datetime import datetime

from services.common.dates import PARIS
from services.common.events import Envelope
from services.common.events.auth import (
    AccountInvited,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from services.common.events.billing import InvoiceIssued, PaymentFailed, PaymentSucceeded
from services.common.events.families import ChangeRequestDecided
from services.common.formats import datetime_label, day_label, euros, month_label
from services.notifier.mails import Mail, Renderer, french_duration

# Pages of the gateway the links open (docs/contracts.md, « Links in e-mails »).
NEW_PASSWORD_PATH = "/mot-de-passe/nouveau"  # noqa: S105 - a page, not a secret
CONFIRM_EMAIL_PATH = "/mon-compte/login/confirmer"

Composer = Callable[[Envelope, Renderer], list[Mail]]


def validity(envelope: Envelope, expires_at: datetime) -> str:
    """« valable 30 minutes (jusqu'au 3 mars 2026 à 14 h 35) »."""
    until = datetime_label(expires_at)
    duration = french_duration(expires_at - envelope.occurred_at)
    return f"valable {duration} (jusqu'au {until})" if duration else f"valable jusqu'au {until}"


def password_reset(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = PasswordResetRequested.of(envelope)
    return [Mail("account", event.email, "password_reset", {
        "email": event.email,
        "link": renderer.link(NEW_PASSWORD_PATH, jeton=event.token),
        "validity": validity(envelope, event.expires_at),
    })]


def account_invited(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = AccountInvited.of(envelope)
    return [Mail("account", event.email, "invitation", {
        "email": event.email,
        "link": renderer.link(NEW_PASSWORD_PATH, jeton=event.token, bienvenue="1"),
        "validity": validity(envelope, event.expires_at),
    })]


def email_change_requested(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = EmailChangeRequested.of(envelope)
    return [
        # The link goes only to the new address: following it proves the parent reads it.
        Mail("new_address", event.new_email, "email_change_confirm", {
            "new_email": event.new_email,
            "link": renderer.link(CONFIRM_EMAIL_PATH, jeton=event.token),
            "validity": validity(envelope, event.expires_at),
        }),
        Mail("old_address", event.old_email, "email_change_notice", {
            "old_email": event.old_email,
            "new_email": event.new_email,
        }),
    ]


def password_changed(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = PasswordChanged.of(envelope)
    return [Mail("account", event.email, "password_changed", {
        "email": event.email,
        "changed_at": event.changed_at,
    })]


def change_request_decided(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    # Only the contract's fields reach the template: nothing else the event might carry.
    event = ChangeRequestDecided.of(envelope)
    if event.subject == "family":
        concerning = f"de modification des informations de la famille {event.family_name}"
    elif event.subject == "child":
        concerning = ("de modification des informations de votre enfant "
                      f"{event.child_name}" if event.child_name else
                      "de modification des informations de votre enfant")
    else:
        concerning = (f"d'ajout de votre enfant {event.child_name}" if event.child_name
                      else "d'ajout d'un enfant")
    return [Mail("family", event.email, "change_request_decided", {
        "approved": event.decision == "approved",
        "concerning": concerning,
        "fields": event.fields,
        "comment": (event.comment or "").strip(),
    })]


# ---- billing ------------------------------------------------------------------------------

INVOICE_PATH = "/mon-compte/factures/{invoice_id}"
ACCOUNT_PATH = "/mon-compte"
PAYMENT_METHODS = {
    "online": "en ligne par carte bancaire", "cheque": "par chèque", "cash": "en espèces",
    "cesu": "par CESU", "holiday_vouchers": "en chèques vacances",
    "direct_debit": "par prélèvement",
}
FAILURES = {
    "refused": "a été refusé par votre banque",
    "abandoned": "a été abandonné avant sa validation",
    "expired": "n'a pas été finalisé dans le délai imparti",
}


def page(renderer: Renderer, path: str) -> str:
    """An absolute link to a page of the gateway, without a query."""
    return renderer.settings.public_url.rstrip("/") + path


def invoice_issued(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = InvoiceIssued.of(envelope)
    return [Mail("family", event.email, "invoice_issued", {
        "number": event.number,
        "month": month_label(event.month),
        "amount": euros(event.total_cents),
        "due_date": day_label(event.due_date),
        "link": page(renderer, INVOICE_PATH.format(invoice_id=event.invoice_id)),
    })]


def payment_succeeded(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = PaymentSucceeded.of(envelope)
    return [Mail("family", event.email, "payment_succeeded", {
        "amount": euros(event.amount_cents),
        "method": PAYMENT_METHODS.get(event.method, ""),
        "paid_on": day_label(event.paid_at.astimezone(PARIS).date()),
        "invoices": [(i.number, euros(i.amount_cents)) for i in event.invoices],
        "link": page(renderer, ACCOUNT_PATH),
    })]


def payment_failed(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = PaymentFailed.of(envelope)
    return [Mail("family", event.email, "payment_failed", {
        "amount": euros(event.amount_cents),
        "what_happened": FAILURES[event.reason],
        "invoices": [(i.number, euros(i.amount_cents)) for i in event.invoices],
        "link": page(renderer, ACCOUNT_PATH),
    })]


COMPOSERS: dict[str, Composer] = {
    PasswordResetRequested.TYPE: password_reset,
    AccountInvited.TYPE: account_invited,
    EmailChangeRequested.TYPE: email_change_requested,
    PasswordChanged.TYPE: password_changed,
    ChangeRequestDecided.TYPE: change_request_decided,
    InvoiceIssued.TYPE: invoice_issued,
    PaymentSucceeded.TYPE: payment_succeeded,
    PaymentFailed.TYPE: payment_failed,
}
