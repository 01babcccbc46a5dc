"""« Mes Factures & Paiements » (guide §10–§11): the family's invoices and payments with their
states and legend, an invoice's detail (a dialog over the page with the script, a page
without), its PDF, « Régler en ligne » (PayFiP through billing), the page the payer comes back
to, the attestation fiscale; and PayFiP's notification, passed on to billing. Every amount,
state and rule is the billing service's."""

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from gateway import keys
from gateway.messages import (
    INVOICE_STATES,
    PAYMENT_METHODS,
    PAYMENT_RETURN,
    PAYMENT_STATES,
)
from gateway.pages.family import parent_family
from gateway.render import PARENT_HOME, Form, flash, read_form, redirect, render
from gateway.session import upstream
from services.common.errors import BadRequest, NotFound, Problem, Unauthorized

routes = web.RouteTableDef()

INVOICES = PARENT_HOME + "/factures"
INVOICE = INVOICES + "/{invoice_id}"
PAYMENTS = PARENT_HOME + "/paiements"
PAYMENT = PAYMENTS + "/{payment_id}"
CREDIT_NOTE_PDF = PARENT_HOME + "/avoirs/{credit_note_id}/pdf"
TAX_CERTIFICATE = PARENT_HOME + "/attestations-fiscales/{year}/{child_id}"
DIRECT_DEBIT = PARENT_HOME + "/prelevement"
MANDATE = DIRECT_DEBIT + "/mandat/{mandate_id}"
MANDATE_FIELDS = ("holder", "iban", "code")
# Where PayFiP notifies (billing's `urlnotif`): public, no session, no CSRF.
NOTIFICATION = "/paiement/payfip/notification"
PARTIAL_HEADER = "X-Partial"
_CURSOR_MAX = 512
_OPERATION = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def legends() -> dict[str, Any]:
    """The states of invoices and payments, their icons and the legends (guide §10: « Voici
    les icônes qui peuvent apparaître à côté de vos factures »)."""
    return {
        "invoice_states": INVOICE_STATES, "payment_states": PAYMENT_STATES,
        "payment_methods": PAYMENT_METHODS,
        "invoice_legend": [(icon, f"{label} : {text}")
                           for icon, label, text in INVOICE_STATES.values()],
        "payment_legend": [(icon, f"{label} : {text}")
                           for icon, label, text in PAYMENT_STATES.values()],
    }


def id_in(request: web.Request, name: str) -> uuid.UUID:
    """A path id; anything else is a page that does not exist (never sent to a service)."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise NotFound("Cette page n'existe pas ou n'existe plus.") from exc


def cursor_in(request: web.Request) -> str | None:
    cursor = request.query.get("suite") or None
    if cursor is not None and len(cursor) > _CURSOR_MAX:
        raise BadRequest("Le lien de pagination est invalide. Revenez à la première page.")
    return cursor


def pdf_response(pdf: bytes, filename: str) -> web.Response:
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


# ---- the lists ------------------------------------------------------------------------------

@routes.get(INVOICES)
async def invoices_list(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    cursor = cursor_in(request)
    billing = request.app[keys.CLIENTS].billing
    page = await upstream(request, lambda t: billing.invoices(t, family_id, cursor=cursor))
    next_cursor = page.get("next_cursor")
    return render(request, "billing/invoices.html", {
        **legends(), "items": page["items"], "first_page": cursor is None,
        "next": f"{INVOICES}?suite={next_cursor}" if isinstance(next_cursor, str) else None})


@routes.get(PAYMENTS)
async def payments_list(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    cursor = cursor_in(request)
    billing = request.app[keys.CLIENTS].billing
    page = await upstream(request, lambda t: billing.payments(t, family_id, cursor=cursor))
    next_cursor = page.get("next_cursor")
    return render(request, "billing/payments.html", {
        **legends(), "items": page["items"], "first_page": cursor is None,
        "next": f"{PAYMENTS}?suite={next_cursor}" if isinstance(next_cursor, str) else None})


# ---- an invoice (guide §11) -----------------------------------------------------------------

def invoice_page(request: web.Request, invoice: dict[str, Any], *,
                 problem: Problem | None = None) -> web.Response:
    """The detail as a page, or only its content when the script asks for it to fill the
    dialog (`X-Partial: invoice`)."""
    partial = request.headers.get(PARTIAL_HEADER) == "invoice" and problem is None
    return render(request, "billing/_invoice.html" if partial else "billing/invoice.html", {
        **legends(), "invoice": invoice, "error": problem.title if problem else None,
        "heading": "h2" if partial else "h1"}, problem=problem)


@routes.get(INVOICE)
async def invoice_detail(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    invoice_id = id_in(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    invoice = await upstream(request, lambda t: billing.invoice(t, family_id, invoice_id))
    return invoice_page(request, invoice)


@routes.get(INVOICE + "/pdf")
async def invoice_pdf(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    invoice_id = id_in(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.invoice_pdf(t, family_id,
                                                                        invoice_id))
    return pdf_response(pdf, name)


@routes.get(CREDIT_NOTE_PDF)
async def credit_note_pdf(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    credit_note_id = id_in(request, "credit_note_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.credit_note_pdf(t, family_id,
                                                                            credit_note_id))
    return pdf_response(pdf, name)


def provider_url(answer: dict[str, Any]) -> str:
    """Where billing sends the payer (PayFiP, or its sandbox in development): a web address
    only."""
    url = answer.get("redirect_url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise Problem("Le service de paiement n'a pas répondu comme prévu. Veuillez réessayer "
                      "plus tard.")
    return url


@routes.post(INVOICE + "/paiement")
async def pay_online(request: web.Request) -> web.StreamResponse:
    """« Régler en ligne »: billing starts the PayFiP payment; the parent is sent there. The
    page in between has the link (followed at once by the script): a form's answer may not
    redirect to another site under our Content-Security-Policy."""
    family_id = await parent_family(request)
    invoice_id = id_in(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    try:
        started = await upstream(request, lambda t: billing.pay_invoice(t, family_id,
                                                                          invoice_id))
        url = provider_url(started)
    except Unauthorized:
        raise
    except NotFound:
        raise
    except Problem as problem:  # a payment in progress, out of bounds, PayFiP unavailable
        invoice = await upstream(request, lambda t: billing.invoice(t, family_id, invoice_id))
        return invoice_page(request, invoice, problem=problem)
    return render(request, "billing/to_provider.html", {"url": url,
                                                        "payment": started.get("payment")})


# ---- back from PayFiP -----------------------------------------------------------------------

@routes.get(PAYMENT)
async def payment_return(request: web.Request) -> web.StreamResponse:
    """The page PayFiP sends the payer back to: billing asks PayFiP now (coming back proves
    nothing) and the page says the payment's state as billing knows it."""
    family_id = await parent_family(request)
    payment_id = id_in(request, "payment_id")
    billing = request.app[keys.CLIENTS].billing

    async def load(token: str) -> dict[str, Any]:
        try:
            payment = await billing.verify_payment(token, family_id, payment_id)
        except (NotFound, Unauthorized):
            raise
        except Problem:  # PayFiP unreachable just now: what billing knows already
            payment = await billing.payment(token, family_id, payment_id)
        settled = [s for s in payment.get("invoices") or [] if isinstance(s, dict)]
        invoices = await asyncio.gather(*(
            billing.invoice(token, family_id, uuid.UUID(str(s.get("invoice_id"))))
            for s in settled), return_exceptions=True)
        return {"payment": payment,
                "invoices": [i for i in invoices if isinstance(i, dict)]}

    data = await upstream(request, load)
    state = str(data["payment"].get("state"))
    icon, heading, text = PAYMENT_RETURN.get(state, PAYMENT_RETURN["pending"])
    return render(request, "billing/payment.html", {
        **legends(), **data, "icon": icon, "heading": heading, "text": text,
        "state": state})


# ---- attestation fiscale --------------------------------------------------------------------

@routes.get(TAX_CERTIFICATE)
async def tax_certificate(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    child_id = id_in(request, "child_id")
    year_text = request.match_info["year"]
    if not re.fullmatch(r"\d{4}", year_text):
        raise NotFound("Cette page n'existe pas ou n'existe plus.")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.tax_certificate_pdf(
        t, family_id, int(year_text), child_id))
    return pdf_response(pdf, name)


# ---- « Prélèvement automatique » (SEPA mandate) ------------------------------------------

async def direct_debit_page(request: web.Request, family_id: uuid.UUID, *,
                            form: Form | None = None, problem: Problem | None = None
                            ) -> web.Response:
    """The family's mandates as billing tells them (IBAN masked), the sign form or the code
    entry, revocation."""
    billing = request.app[keys.CLIENTS].billing
    state = await upstream(request, lambda t: billing.direct_debit(t, family_id))
    return render(request, "billing/direct_debit.html", {
        "dd": state, "form": form or Form(), "replace": request.query.get("changer") == "1"},
        problem=problem)


@routes.get(DIRECT_DEBIT)
async def direct_debit(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    return await direct_debit_page(request, family_id)


async def mandate_action(request: web.Request, family_id: uuid.UUID, form: Form,
                         act: Any, done: str) -> web.StreamResponse:
    """Run `act(token)` with billing; its refusal shown on the page, else `done` flashed."""
    try:
        await upstream(request, act)
    except (Unauthorized, NotFound):
        raise
    except Problem as problem:
        form.fail(problem, MANDATE_FIELDS)
        return await direct_debit_page(request, family_id, form=form, problem=problem)
    flash(request, done)
    return redirect(DIRECT_DEBIT)


@routes.post(DIRECT_DEBIT + "/mandat")
async def create_mandate(request: web.Request) -> web.StreamResponse:
    """The holder and the IBAN: billing checks the IBAN, keeps the mandate awaiting its
    signature and e-mails the code."""
    family_id = await parent_family(request)
    form = await read_form(request, "holder", "iban")
    billing = request.app[keys.CLIENTS].billing
    return await mandate_action(request, family_id, form, lambda t: billing.create_mandate(
        t, family_id, holder=form.values["holder"], iban=form.values["iban"]),
        "mandate_code_sent")


@routes.post(MANDATE + "/code")
async def resend_mandate_code(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    mandate_id = id_in(request, "mandate_id")
    form = await read_form(request)
    billing = request.app[keys.CLIENTS].billing
    return await mandate_action(request, family_id, form, lambda t: billing.resend_mandate_code(
        t, family_id, mandate_id), "mandate_code_sent_again")


@routes.post(MANDATE + "/signature")
async def sign_mandate(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    mandate_id = id_in(request, "mandate_id")
    form = await read_form(request, "code")
    billing = request.app[keys.CLIENTS].billing
    return await mandate_action(request, family_id, form, lambda t: billing.sign_mandate(
        t, family_id, mandate_id, code=form.values["code"]), "mandate_signed")


@routes.post(MANDATE + "/revocation")
async def revoke_mandate(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    mandate_id = id_in(request, "mandate_id")
    form = await read_form(request)
    billing = request.app[keys.CLIENTS].billing
    return await mandate_action(request, family_id, form, lambda t: billing.revoke_mandate(
        t, family_id, mandate_id), "mandate_revoked")


# ---- PayFiP's notification ------------------------------------------------------------------

@routes.get(NOTIFICATION)
@routes.post(NOTIFICATION)
async def payfip_notification(request: web.Request) -> web.StreamResponse:
    """PayFiP calls this (`idop` or `idOp`, by GET or form POST), unsigned: it is passed on
    to billing, which only asks PayFiP how the payment stands. No session, no CSRF."""
    values: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values.update(await request.post())
    idop = values.get("idop", values.get("idOp"))
    if not isinstance(idop, str) or not _OPERATION.match(idop):
        return web.Response(status=400, text="idop manquant ou invalide")
    try:
        await request.app[keys.CLIENTS].billing.notify(idop)
    except Problem as problem:
        return web.Response(status=problem.status, text=problem.title or "")
    return web.Response(text="OK")
