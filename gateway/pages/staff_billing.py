"""« Espace gestion » — billing: the month's invoicing run (a preview of every invoice, then
« Émettre les factures »), the invoices, credit notes on an invoice, a family's account (its
balance, invoices and payments) and the entry of a payment received (chèque, espèces, CESU,
chèques vacances, prélèvement). Every rule and amount is the billing service's."""

import asyncio
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.messages import INVOICE_STATES, PAYMENT_METHODS, PAYMENT_STATES
from gateway.pages.billing import legends, pdf_response
from gateway.pages.staff import (
    FAMILIES,
    T,
    cursor_query,
    list_load,
    pager,
    render_staff,
    staff_load,
    staff_session,
    uuid_in,
    uuid_query,
)
from gateway.render import STAFF_HOME, Form, flash, read_form, redirect
from gateway.session import upstream
from gateway.templating import PARIS
from services.common.errors import Problem, Unauthorized, ValidationFailed

routes = web.RouteTableDef()

INVOICING = STAFF_HOME + "/facturation"
INVOICES = STAFF_HOME + "/factures"
INVOICE = INVOICES + "/{invoice_id}"
CREDIT_NOTE_PDF = STAFF_HOME + "/avoirs/{credit_note_id}/pdf"
ACCOUNT = FAMILIES + "/{family_id}/compte"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# « 25 », « 25,5 », « 25,50 », « 1 234,50 » (spaces grouping thousands), « 25.50 ».
AMOUNT = re.compile(r"^(\d{1,7})(?:[,.](\d{1,2}))?$")
OFFLINE_METHODS = {k: v for k, v in PAYMENT_METHODS.items() if k != "online"}
PAYMENT_FIELDS = ("method", "amount", "received_on", "reference", "invoice_id")
CREDIT_FIELDS = ("reason", "item_ids")


def last_month() -> str:
    """The month before this one in Paris (the month usually invoiced)."""
    first = datetime.now(PARIS).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def cents(text: str) -> int | None:
    """Cents from what an agent types in euros (« 25,50 »), None when it is not an amount."""
    found = AMOUNT.match(text.replace(" ", "").replace("\u00a0", "").replace("€", ""))
    if found is None:
        return None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def staff_context(extra: T) -> T:
    return {**legends(), "invoice_states": INVOICE_STATES, "payment_states": PAYMENT_STATES,
            **extra}


# ---- the invoicing run ------------------------------------------------------------------------

@routes.get(INVOICING)
async def invoicing(request: web.Request) -> web.StreamResponse:
    """Choose a month; the preview shows every invoice a run would issue now."""
    month = request.query.get("mois", "").strip()
    form = Form(values={"mois": month or last_month()})
    cursor = cursor_query(request)
    billing = request.app[keys.CLIENTS].billing
    if month and not MONTH.match(month):
        form.add("mois", "Indiquez un mois au format AAAA-MM, par exemple 2027-07.", "Mois")
    asked = bool(month) and not form.invalid

    async def load(token: str) -> T:
        if not asked:
            return {"preview": None}
        try:
            return {"preview": await billing.preview(token, month=month, cursor=cursor)}
        except Unauthorized:
            raise
        except ValidationFailed as problem:
            problem.errors = [{**e, "field": "mois"} for e in problem.errors or []]
            form.fail(problem, ("mois",))
            return {"preview": None}

    data = await list_load(request, load, f"{INVOICING}?mois={month}")
    if isinstance(data, web.Response):
        return data
    preview = data["preview"]
    return render_staff(request, "gestion/billing/invoicing.html", staff_context({
        **data, "form": form, "month": month if asked else None,
        "pager": pager(preview or {}, INVOICING, mois=month or None)}),
        status=422 if form.invalid else 200)


@routes.post(INVOICING + "/emission")
async def issue(request: web.Request) -> web.StreamResponse:
    """« Émettre les factures du mois »: one invoice per family for what is not billed yet."""
    await staff_session(request)
    form = await read_form(request, "mois")
    month = form.values["mois"].strip()
    billing = request.app[keys.CLIENTS].billing
    if not MONTH.match(month):
        return redirect(INVOICING)
    try:
        run = await upstream(request, lambda t: billing.run(t, month=month))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ())

        async def load(token: str) -> T:
            return {"preview": await billing.preview(token, month=month)}

        data = await staff_load(request, load)
        return render_staff(request, "gestion/billing/invoicing.html", staff_context({
            **data, "form": form, "month": month, "pager": pager(data["preview"], INVOICING,
                                                                  mois=month)}),
            status=problem.status)
    flash(request, "invoicing_done" if run.get("invoices") or run.get("credit_notes")
          else "invoicing_nothing")
    return redirect(f"{INVOICES}?mois={month}")


# ---- invoices -------------------------------------------------------------------------------

@routes.get(INVOICES)
async def invoices(request: web.Request) -> web.StreamResponse:
    family_id = uuid_query(request, "famille")
    month = request.query.get("mois", "").strip()
    month = month if MONTH.match(month) else ""
    state = request.query.get("etat", "")
    state = state if state in INVOICE_STATES else ""
    cursor = cursor_query(request)
    billing = request.app[keys.CLIENTS].billing

    async def load(token: str) -> T:
        return {"found": await billing.all_invoices(
            token, family_id=family_id, month=month or None, state=state or None,
            cursor=cursor)}

    filters = {"famille": str(family_id) if family_id else None, "mois": month or None,
               "etat": state or None}
    data = await list_load(request, load, INVOICES)
    if isinstance(data, web.Response):
        return data
    return render_staff(request, "gestion/billing/invoices.html", staff_context({
        **data, "items": data["found"]["items"], "month": month, "state": state,
        "family_id": family_id, "pager": pager(data["found"], INVOICES, **filters)}))


async def load_invoice(request: web.Request, invoice_id: uuid.UUID) -> T:
    billing = request.app[keys.CLIENTS].billing

    async def load(token: str) -> T:
        return {"invoice": await billing.staff_invoice(token, invoice_id)}

    return await staff_load(request, load)


def invoice_page(request: web.Request, data: T, form: Form | None = None, *,
                 status: int = 200) -> web.Response:
    return render_staff(request, "gestion/billing/invoice.html", staff_context({
        **data, "form": form or Form(values={"reason": ""}), "credit_fields": CREDIT_FIELDS}),
        status=status)


@routes.get(INVOICE)
async def invoice(request: web.Request) -> web.StreamResponse:
    invoice_id = uuid_in(request, "invoice_id")
    return invoice_page(request, await load_invoice(request, invoice_id))


@routes.post(INVOICE + "/avoirs")
async def credit_note(request: web.Request) -> web.StreamResponse:
    """An avoir on the days ticked (none ticked: every day not credited yet), with its
    reason."""
    await staff_session(request)
    invoice_id = uuid_in(request, "invoice_id")
    data = await request.post()
    reason = data.get("reason")
    form = Form(values={"reason": reason if isinstance(reason, str) else ""})
    ticked = [v for v in data.getall("item_ids", []) if isinstance(v, str)]
    item_ids: list[str] = []
    for value in ticked:
        try:
            item_ids.append(str(uuid.UUID(value)))
        except ValueError:
            form.add("item_ids", "Un des jours cochés n'existe pas sur cette facture.",
                     "Jours à créditer")
    if not form.values["reason"].strip():
        form.add("reason", "Indiquez le motif de l'avoir.", "Motif de l'avoir")
    if form.invalid:
        return invoice_page(request, await load_invoice(request, invoice_id), form, status=422)
    billing = request.app[keys.CLIENTS].billing
    try:
        await upstream(request, lambda t: billing.credit_note(
            t, invoice_id, reason=form.values["reason"].strip(), item_ids=item_ids or None))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, CREDIT_FIELDS)
        return invoice_page(request, await load_invoice(request, invoice_id), form,
                            status=problem.status)
    flash(request, "credit_note_issued")
    return redirect(f"{INVOICES}/{invoice_id}")


@routes.get(INVOICE + "/pdf")
async def invoice_pdf(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    invoice_id = uuid_in(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.invoice_pdf(t, None, invoice_id))
    return pdf_response(pdf, name)


@routes.get(CREDIT_NOTE_PDF)
async def credit_note_pdf(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    credit_note_id = uuid_in(request, "credit_note_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.credit_note_pdf(t, None,
                                                                            credit_note_id))
    return pdf_response(pdf, name)


# ---- a family's account and the payments received ----------------------------------------------

async def load_account(request: web.Request, family_id: uuid.UUID) -> T:
    clients = request.app[keys.CLIENTS]

    async def load(token: str) -> T:
        family, balance, invoices, payments = await asyncio.gather(
            clients.families.family(token, family_id),
            clients.billing.balance(token, family_id),
            clients.billing.invoices(token, family_id, limit=50),
            clients.billing.payments(token, family_id, limit=50))
        return {"family": family, "balance": balance, "invoices": invoices["items"],
                "payments": payments["items"]}

    return await staff_load(request, load)


def account_page(request: web.Request, data: T, form: Form | None = None, *,
                 status: int = 200) -> web.Response:
    today = datetime.now(PARIS).date().isoformat()
    open_invoices = [i for i in data["invoices"]
                     if i.get("state") in ("to_pay", "partially_paid", "overdue")]
    return render_staff(request, "gestion/billing/account.html", staff_context({
        **data, "open_invoices": open_invoices, "methods": OFFLINE_METHODS,
        "form": form or Form(values={"received_on": today, "method": "cheque"})}),
        status=status)


@routes.get(ACCOUNT)
async def account(request: web.Request) -> web.StreamResponse:
    family_id = uuid_in(request, "family_id")
    return account_page(request, await load_account(request, family_id))


def payment_body(form: Form, open_ids: set[str]) -> dict[str, Any] | None:
    """The billing body of the payment form, or None with the form's errors said."""
    values = form.values
    if values["method"] not in OFFLINE_METHODS:
        form.add("method", "Choisissez le mode de règlement.", "Mode de règlement")
    amount = cents(values["amount"].strip())
    if amount is None or amount <= 0:
        form.add("amount", "Indiquez un montant en euros, par exemple 25,50.", "Montant reçu")
    try:
        received = date.fromisoformat(values["received_on"].strip())
    except ValueError:
        form.add("received_on", "Indiquez la date de réception, par exemple 2027-07-14.",
                 "Date de réception")
        received = None
    invoice_id = values["invoice_id"].strip()
    if invoice_id and invoice_id not in open_ids:
        form.add("invoice_id", "Choisissez une facture à régler de la famille.",
                 "Facture réglée")
    if form.invalid or amount is None or received is None:
        return None
    body: dict[str, Any] = {"method": values["method"], "amount_cents": amount,
                            "received_on": received.isoformat(),
                            "reference": values["reference"].strip() or None}
    if invoice_id:
        body["invoices"] = [{"invoice_id": invoice_id, "amount_cents": amount}]
    return body


FIELD_OF = {"amount_cents": "amount", "invoices": "invoice_id"}


@routes.post(ACCOUNT + "/paiements")
async def record_payment(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    form = await read_form(request, *PAYMENT_FIELDS)
    data = await load_account(request, family_id)
    body = payment_body(form, {str(i.get("id")) for i in data["invoices"]})
    if body is None:
        return account_page(request, data, form, status=422)
    billing = request.app[keys.CLIENTS].billing
    try:
        await upstream(request, lambda t: billing.record_payment(t, family_id, body))
    except Unauthorized:
        raise
    except Problem as problem:
        for error in problem.errors or []:
            field = str(error.get("field", ""))
            error["field"] = FIELD_OF.get(field.split(".")[0], field)
        form.fail(problem, PAYMENT_FIELDS)
        return account_page(request, data, form, status=problem.status)
    flash(request, "payment_recorded")
    return redirect(f"{FAMILIES}/{family_id}/compte")


# ---- SEPA direct debits (« Prélèvements ») ---------------------------------------------------

DEBITS = STAFF_HOME + "/prelevements"
DEBIT_FILE = DEBITS + "/lots/{batch_id}/fichier"
RETURN_FIELDS = ("invoice_number", "code")


def this_month() -> str:
    return datetime.now(PARIS).date().strftime("%Y-%m")


async def debits_page(request: web.Request, month: str, form: Form, *,
                      status: int = 200) -> web.StreamResponse:
    """The month's debits to check (IBAN masked), its batches and files, the returns form —
    as billing tells them."""
    billing = request.app[keys.CLIENTS].billing

    async def load(token: str) -> T:
        if form.errors.get("mois"):
            return {"debits": None}
        try:
            return {"debits": await billing.month_debits(token, month=month)}
        except Unauthorized:
            raise
        except ValidationFailed as problem:
            problem.errors = [{**e, "field": "mois"} for e in problem.errors or []]
            form.fail(problem, ("mois",))
            return {"debits": None}

    data = await staff_load(request, load)
    return render_staff(request, "gestion/billing/debits.html", staff_context({
        **data, "form": form, "month": month}),
        status=422 if form.invalid and status == 200 else status)


@routes.get(DEBITS)
async def debits(request: web.Request) -> web.StreamResponse:
    month = request.query.get("mois", "").strip() or this_month()
    form = Form(values={"mois": month, "invoice_number": "", "code": ""})
    if not MONTH.match(month):
        form.add("mois", "Indiquez un mois au format AAAA-MM, par exemple 2027-07.", "Mois")
    return await debits_page(request, month, form)


@routes.post(DEBITS + "/lot")
async def build_debit_batch(request: web.Request) -> web.StreamResponse:
    """« Préparer le lot »: the month's pre-notified debits in a batch and its pain.008."""
    await staff_session(request)
    form = await read_form(request, "mois")
    month = form.values["mois"].strip()
    if not MONTH.match(month):
        return redirect(DEBITS)
    billing = request.app[keys.CLIENTS].billing
    try:
        await upstream(request, lambda t: billing.build_debit_batch(t, month=month))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ())
        return await debits_page(request, month, form, status=problem.status)
    flash(request, "debit_batch_built")
    return redirect(f"{DEBITS}?mois={month}")


@routes.get(DEBIT_FILE)
async def debit_batch_file(request: web.Request) -> web.StreamResponse:
    """The batch's file for the bank, as billing made it (the only place with full IBANs)."""
    await staff_session(request)
    batch_id = uuid_in(request, "batch_id")
    billing = request.app[keys.CLIENTS].billing
    xml, name = await upstream(request, lambda t: billing.debit_batch_file(t, batch_id))
    return web.Response(body=xml, content_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@routes.post(DEBITS + "/rejets")
async def record_debit_return(request: web.Request) -> web.StreamResponse:
    """A return from the bank: the invoice's number and the R-code."""
    await staff_session(request)
    form = await read_form(request, "mois", "invoice_number", "code")
    month = form.values["mois"].strip()
    month = month if MONTH.match(month) else this_month()
    billing = request.app[keys.CLIENTS].billing
    try:
        await upstream(request, lambda t: billing.record_debit_return(
            t, invoice_number=form.values["invoice_number"].strip(),
            code=form.values["code"]))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, RETURN_FIELDS)
        return await debits_page(request, month, form, status=problem.status)
    flash(request, "debit_return_recorded")
    return redirect(f"{DEBITS}?mois={month}")
