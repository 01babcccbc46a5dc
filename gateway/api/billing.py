"""Invoices, payments and documents in the JSON API (SPEC §8), always for the family of the
caller's token: ids are checked for their shape, bodies go to the billing service as sent, and
its answers and problems (French messages) come back unchanged."""

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from gateway import keys
from gateway.api.family import FAMILY, JsonObject, parents_only, path_id
from gateway.pages.billing import pdf_response
from gateway.session import upstream
from services.common.api import api, json_response
from services.common.errors import NotFound

routes = web.RouteTableDef()
TAGS = ("billing",)


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class InvoicesQuery(_Query):
    cursor: str | None = Field(None, max_length=512)
    state: Literal["to_pay", "partially_paid", "paid", "overdue", "cancelled"] | None = None


class PaymentsQuery(_Query):
    cursor: str | None = Field(None, max_length=512)


class _Answer(BaseModel):
    # The billing service's answer, passed through: these fields and any it adds.
    model_config = ConfigDict(extra="allow")


class Invoices(_Answer):
    """`items`: invoice summaries `{id, number, month, issued_at, due_date, total_cents,
    credited_cents, paid_cents, amount_due_cents, state, payable_online,
    payment_in_progress}`, newest first."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


class Invoice(_Answer):
    """A summary with `address`, `qf`, `lines` (child, unit, dates, quantity, unit price,
    amount), `items`, `credit_notes` and `payments`."""

    id: str
    number: str
    state: str


class Payments(_Answer):
    items: list[dict[str, Any]]
    next_cursor: str | None = None


class Payment(_Answer):
    """`{id, method, state, amount_cents, created_at, settled_at, invoices}`; `state` ∈
    pending, validated, refused, cancelled, refunded."""

    id: str
    state: str


class Started(_Answer):
    """An online payment started: send the payer to `redirect_url` (PayFiP)."""

    payment: dict[str, Any]
    redirect_url: str


class Certificates(_Answer):
    items: list[dict[str, Any]]


class Balance(_Answer):
    due_cents: int


@routes.get("/api/v1/invoices")
@parents_only
@api(summary="The family's invoices, newest first (`cursor` for the next page)",
     query=InvoicesQuery, response=Invoices, tags=TAGS)
async def invoices(request: web.Request, query: InvoicesQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.invoices(
        t, family_id, cursor=query.cursor, state=query.state)))


@routes.get("/api/v1/invoices/{invoice_id}")
@parents_only
@api(summary="An invoice of the family: lines, totals, payments allocated, amount due",
     response=Invoice, tags=TAGS)
async def invoice(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    invoice_id = path_id(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.invoice(t, family_id,
                                                                           invoice_id)))


@routes.get("/api/v1/invoices/{invoice_id}/pdf")
@parents_only
@api(summary="An invoice of the family as a PDF", tags=TAGS)
async def invoice_pdf(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    invoice_id = path_id(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.invoice_pdf(t, family_id,
                                                                        invoice_id))
    return pdf_response(pdf, name)


@routes.post("/api/v1/invoices/{invoice_id}/payments")
@parents_only
@api(summary="Start an online payment of the invoice (in full, or `amount_cents`): 201 with "
             "the payment and the provider's `redirect_url`", body=JsonObject,
     response=Started, status=201, tags=TAGS)
async def pay(request: web.Request, body: JsonObject) -> web.StreamResponse:
    family_id = request[FAMILY]
    invoice_id = path_id(request, "invoice_id")
    billing = request.app[keys.CLIENTS].billing
    answer = await upstream(request, lambda t: billing.pay_invoice(t, family_id, invoice_id,
                                                                   body=body.root))
    return json_response(answer, status=201)


@routes.get("/api/v1/credit-notes/{credit_note_id}/pdf")
@parents_only
@api(summary="A credit note (avoir) of the family as a PDF", tags=TAGS)
async def credit_note_pdf(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    credit_note_id = path_id(request, "credit_note_id")
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.credit_note_pdf(t, family_id,
                                                                            credit_note_id))
    return pdf_response(pdf, name)


@routes.get("/api/v1/payments")
@parents_only
@api(summary="The family's payments, newest first", query=PaymentsQuery, response=Payments,
     tags=TAGS)
async def payments(request: web.Request, query: PaymentsQuery) -> web.StreamResponse:
    family_id = request[FAMILY]
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.payments(
        t, family_id, cursor=query.cursor)))


@routes.get("/api/v1/payments/{payment_id}")
@parents_only
@api(summary="A payment of the family, as billing knows it", response=Payment, tags=TAGS)
async def payment(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    payment_id = path_id(request, "payment_id")
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.payment(t, family_id,
                                                                           payment_id)))


@routes.post("/api/v1/payments/{payment_id}/verification")
@parents_only
@api(summary="Back from the provider: billing asks it now; the payment as billing knows it",
     response=Payment, tags=TAGS)
async def verify(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    payment_id = path_id(request, "payment_id")
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.verify_payment(
        t, family_id, payment_id)))


@routes.get("/api/v1/balance")
@parents_only
@api(summary="The family's account: invoiced, credited, paid, due, overdue", response=Balance,
     tags=TAGS)
async def balance(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    billing = request.app[keys.CLIENTS].billing
    return json_response(await upstream(request, lambda t: billing.balance(t, family_id)))


@routes.get("/api/v1/tax-certificates")
@parents_only
@api(summary="The attestations fiscales: per year and child under 6 on 1 January, the "
             "childcare paid", response=Certificates, tags=TAGS)
async def tax_certificates(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    billing = request.app[keys.CLIENTS].billing
    items = await upstream(request, lambda t: billing.tax_certificates(t, family_id))
    return json_response({"items": items})


@routes.get("/api/v1/tax-certificates/{year}/{child_id}/pdf")
@parents_only
@api(summary="An attestation fiscale as a PDF", tags=TAGS)
async def tax_certificate_pdf(request: web.Request) -> web.StreamResponse:
    family_id = request[FAMILY]
    child_id = path_id(request, "child_id")
    year = request.match_info["year"]
    if not (len(year) == 4 and year.isascii() and year.isdigit()):
        raise NotFound()
    billing = request.app[keys.CLIENTS].billing
    pdf, name = await upstream(request, lambda t: billing.tax_certificate_pdf(
        t, family_id, int(year), child_id))
    return pdf_response(pdf, name)
