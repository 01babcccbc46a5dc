"""Which mails each event calls for: recipients, templates and what they show."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.common.dates import PARIS
from services.common.events import Envelope
from services.common.events.auth import (
    AccountInvited,
    EmailChangeRequested,
    PasswordChanged,
    PasswordResetRequested,
)
from services.common.events.billing import (
    DebitPrenotified,
    DebitRejected,
    InvoiceIssued,
    MandateCodeRequested,
    MandateSigned,
    PaymentFailed,
    PaymentSucceeded,
)
from services.common.events.families import ChangeRequestDecided
from services.common.events.reservations import (
    Cancelled,
    Line,
    LineDecided,
    LotteryDrawn,
    ReservationSubmitted,
    WaitlistOffered,
)
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
        # « de la famille Martin », never « de la famille Famille Martin ».
        name = event.family_name.strip()
        name = name[len("famille "):] if name.lower().startswith("famille ") else name
        concerning = f"de modification des informations de la famille {name}"
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
        "fields": [f for f in event.fields if f not in event.refused_fields],
        "refused": event.refused_fields,
        "corrected": event.corrected_fields,
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
        "direct_debit_on": day_label(event.direct_debit_on) if event.direct_debit_on else None,
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


# ---- SEPA direct debit (never an IBAN in these mails, not even masked) ----------------------

DIRECT_DEBIT_PATH = "/mon-compte/prelevement"


def mandate_code(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = MandateCodeRequested.of(envelope)
    return [Mail("family", event.email, "mandate_code", {
        "code": event.code,
        "rum": event.rum,
        "validity": validity(envelope, event.expires_at),
    })]


def mandate_signed(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = MandateSigned.of(envelope)
    return [Mail("family", event.email, "mandate_signed", {
        "rum": event.rum,
        "creditor": event.creditor_name,
        "ics": event.ics,
        "signed_on": datetime_label(event.signed_at),
        "link": page(renderer, DIRECT_DEBIT_PATH),
    })]


def debit_prenotified(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = DebitPrenotified.of(envelope)
    return [Mail("family", event.email, "debit_prenotice", {
        "number": event.number,
        "amount": euros(event.amount_cents),
        "planned_on": day_label(event.planned_on),
        "rum": event.rum,
        "ics": event.ics,
        "creditor": event.creditor_name,
        "link": page(renderer, INVOICE_PATH.format(invoice_id=event.invoice_id)),
    })]


def debit_rejected(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = DebitRejected.of(envelope)
    return [Mail("family", event.email, "debit_rejected", {
        "number": event.number,
        "amount": euros(event.amount_cents),
        "reason": event.reason,
        "code": event.return_code,
        "link": page(renderer, INVOICE_PATH.format(invoice_id=event.invoice_id)),
    })]


# ---- reservations ---------------------------------------------------------------------------

RESERVATION_PATH = "/mon-compte/reservations/{number}"
RESERVATIONS_PATH = "/mon-compte/reservations"
OFFER_PATH = "/reservations/offre"
RESERVATION_STATES = {
    "accepted": "acceptée", "pending": "en attente de décision",
    "partial": "partiellement acceptée", "refused": "refusée",
    "cancel_requested": "annulation demandée", "cancelled": "annulée",
    "waiting": "sur liste d'attente", "drawing": "en attente du tirage au sort",
}
BOOKING_LINE_STATES = {
    "accepted": "acceptée", "requested": "en attente de décision",
    "waiting": "liste d'attente", "offered": "place proposée", "refused": "refusée",
    "cancelled": "annulée", "drawing": "en attente du tirage au sort",
}
CANCEL_LINE_STATES = {
    "accepted": "annulation acceptée", "requested": "annulation en attente de décision",
    "refused": "annulation refusée",
}
# A decision's sentence, by (line kind, previous state, new state); the others fall back on
# « <day>, <unit> : <state> ».
DECISIONS = {
    ("book", "requested", "accepted"): "Votre demande de réservation est acceptée",
    ("book", "requested", "refused"): "Votre demande de réservation n'a pas été acceptée",
    ("book", "requested", "waiting"): ("Le jour demandé est complet : votre enfant est sur la "
                                       "liste d'attente"),
    ("book", "offered", "accepted"): "Vous avez accepté la place proposée : elle est réservée",
    ("book", "offered", "cancelled"): ("La place proposée n'est plus réservée pour votre "
                                       "enfant (refusée, ou sans réponse dans le délai)"),
    ("cancel", "requested", "accepted"): "Votre demande d'annulation est acceptée",
    ("cancel", "requested", "refused"): "Votre demande d'annulation n'a pas été acceptée",
}


def line_state(line: Line) -> str:
    """« acceptée », « liste d'attente (position 2) », « annulation refusée »…"""
    if line.kind == "cancel":
        return CANCEL_LINE_STATES.get(line.state, BOOKING_LINE_STATES[line.state])
    state = BOOKING_LINE_STATES[line.state]
    if line.state == "waiting" and line.waiting_position:
        return f"{state} (position {line.waiting_position})"
    return state


def line_context(line: Line) -> dict[str, Any]:
    return {"day": day_label(line.date, weekday=True), "unit": line.unit_label,
            "child": line.child_first_name, "state": line_state(line),
            "comment": (line.comment or "").strip()}


def children_of(lines: list[Line]) -> str:
    """« Léa Martin », « Léa et Hugo Martin », « Léa Martin et Hugo Durand »."""
    names = list(dict.fromkeys((x.child_first_name, x.child_last_name) for x in lines))
    if len({last for _, last in names}) == 1:
        firsts = [first for first, _ in names]
        joined = ", ".join(firsts[:-1]) + " et " + firsts[-1] if len(firsts) > 1 else firsts[0]
        return f"{joined} {names[0][1]}"
    full = [f"{first} {last}" for first, last in names]
    return ", ".join(full[:-1]) + " et " + full[-1]


def reservation_submitted(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    """The recap: what was asked and what each day got at once."""
    event = ReservationSubmitted.of(envelope)
    if not event.email or not event.lines:
        return []
    states = {x.state for x in event.lines}
    return [Mail("family", event.email, "reservation_submitted", {
        "cancel": event.kind == "cancel",
        "number": event.number,
        "children": children_of(event.lines),
        "several": len({x.child_id for x in event.lines}) > 1,
        "state": RESERVATION_STATES[event.state],
        "establishment": event.establishment_name,
        "period": event.period_name,
        "submitted_at": datetime_label(event.submitted_at),
        "lines": [line_context(x) for x in event.lines],
        "requested": "requested" in states,
        "waiting": "waiting" in states,
        "link": page(renderer, RESERVATION_PATH.format(number=event.number)),
    })]


def line_decided(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    """A decision on one day. A waiting line offered a place is told by the offer's mail; a
    line decided by a lottery's draw, by the draw's one mail to the family."""
    event = LineDecided.of(envelope)
    line = event.line
    if not event.email or line.state == "offered" or event.previous_state == "drawing":
        return []
    context = line_context(line)
    sentence = DECISIONS.get((line.kind, event.previous_state, line.state))
    return [Mail("family", event.email, "reservation_line_decided", {
        **context,
        "number": line.reservation_number,
        "children": children_of([line]),
        "headline": sentence or f"Le {context['day']}, {line.unit_label} : {context['state']}",
        "known": sentence is not None,
        "accepted": line.state == "accepted",
        "establishment": line.establishment_name,
        "period": line.period_name,
        "link": page(renderer, RESERVATION_PATH.format(number=line.reservation_number)),
    })]


def waitlist_offered(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    event = WaitlistOffered.of(envelope)
    line = event.line
    if not event.email:
        return []
    return [Mail("family", event.email, "reservation_offer", {
        **line_context(line),
        "number": line.reservation_number,
        "children": children_of([line]),
        "establishment": line.establishment_name,
        "period": line.period_name,
        "until": datetime_label(event.expires_at),
        "validity": validity(envelope, event.expires_at),
        "link": renderer.link(OFFER_PATH, jeton=event.token),
        "portal": page(renderer, RESERVATION_PATH.format(number=line.reservation_number)),
    })]


def cancelled(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    """A booked day cancelled. Cancelled by a cancellation reservation, the family already has
    that reservation's recap (accepted at once) or its decision (staff): no second mail for the
    same news. Otherwise (staff cancelled the day), a mail says so."""
    event = Cancelled.of(envelope)
    line = event.line
    if not event.email or event.by_reservation_number is not None:
        return []
    return [Mail("family", event.email, "reservation_cancelled", {
        **line_context(line),
        "number": line.reservation_number,
        "children": children_of([line]),
        "establishment": line.establishment_name,
        "period": line.period_name,
        "link": page(renderer, RESERVATION_PATH.format(number=line.reservation_number)),
    })]


def lottery_drawn(envelope: Envelope, renderer: Renderer) -> list[Mail]:
    """A draw's results, one mail per family: every day it asked for, accepted or not, with
    the waiting-list positions."""
    event = LotteryDrawn.of(envelope)
    if not event.email or not event.lines:
        return []
    states = {x.state for x in event.lines}
    numbers = list(dict.fromkeys(x.reservation_number for x in event.lines))
    return [Mail("family", event.email, "reservation_lottery", {
        "children": children_of(event.lines),
        "several": len({x.child_id for x in event.lines}) > 1,
        "establishment": event.establishment_name,
        "period": event.period_name,
        "drawn_at": datetime_label(event.drawn_at),
        "lines": [line_context(x) for x in event.lines],
        "accepted": sum(1 for x in event.lines if x.state == "accepted"),
        "total": len(event.lines),
        "requested": "requested" in states,
        "waiting": "waiting" in states,
        "numbers": numbers,
        "link": page(renderer, RESERVATION_PATH.format(number=numbers[0])
                     if len(numbers) == 1 else RESERVATIONS_PATH),
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
    MandateCodeRequested.TYPE: mandate_code,
    MandateSigned.TYPE: mandate_signed,
    DebitPrenotified.TYPE: debit_prenotified,
    DebitRejected.TYPE: debit_rejected,
    ReservationSubmitted.TYPE: reservation_submitted,
    LineDecided.TYPE: line_decided,
    WaitlistOffered.TYPE: waitlist_offered,
    Cancelled.TYPE: cancelled,
    LotteryDrawn.TYPE: lottery_drawn,
}
