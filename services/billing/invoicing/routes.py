"""HTTP routes of tariffs (staff), invoicing runs (staff), invoices and credit notes."""

from aiohttp import web

from services.billing import keys
from services.billing.access import family_access, staff_actor
from services.billing.invoicing import service
from services.billing.invoicing.schemas import (
    Balance,
    CreditNoteIn,
    CreditNoteOut,
    InvoiceOut,
    InvoicePage,
    InvoiceQuery,
    MonthQuery,
    PreviewOut,
    RunIn,
    RunOut,
    StaffInvoiceQuery,
    TariffIn,
    TariffList,
    TariffOut,
)
from services.billing.sepa.debits import DebitTerms
from services.common.api import api
from services.common.routing import before, connection, if_match
from services.common.validation import path_uuid

routes = web.RouteTableDef()

FAMILY = "/families/{family_id}"
TARIFF = "/tariffs/{tariff_id}"
INVOICE = "/invoices/{invoice_id}"


def block_minutes(request: web.Request) -> int:
    return request.app[keys.SETTINGS].payment_pending_block_minutes


# ---- tariffs (staff) -------------------------------------------------------------------

@routes.get("/tariffs")
@before(staff_actor)
@api(summary="Every tariff, by establishment and unit (staff)", response=TariffList,
     tags=("tariffs",))
async def list_tariffs(request: web.Request) -> TariffList:
    async with connection(request) as conn:
        return await service.list_tariffs(conn)


@routes.post("/tariffs")
@before(staff_actor)
@api(summary="A unit's tariff by QF bracket, in force from a day (staff)", body=TariffIn,
     response=TariffOut, status=201, tags=("tariffs",))
async def create_tariff(request: web.Request, body: TariffIn) -> TariffOut:
    async with connection(request) as conn:
        return await service.create_tariff(conn, body=body)


@routes.get(TARIFF)
@before(staff_actor)
@api(summary="A tariff (staff)", response=TariffOut, tags=("tariffs",))
async def get_tariff(request: web.Request) -> TariffOut:
    async with connection(request) as conn:
        return await service.get_tariff(conn, tariff_id=path_uuid(request, "tariff_id"))


@routes.put(TARIFF)
@before(staff_actor)
@api(summary="Replace a tariff (staff; If-Match optional); issued invoices keep their prices",
     body=TariffIn, response=TariffOut, tags=("tariffs",))
async def replace_tariff(request: web.Request, body: TariffIn) -> TariffOut:
    async with connection(request) as conn:
        return await service.replace_tariff(conn, tariff_id=path_uuid(request, "tariff_id"),
                                            body=body, version=if_match(request))


@routes.delete(TARIFF)
@before(staff_actor)
@api(summary="Remove a tariff (staff)", status=204, tags=("tariffs",))
async def delete_tariff(request: web.Request) -> web.Response:
    async with connection(request) as conn:
        await service.delete_tariff(conn, tariff_id=path_uuid(request, "tariff_id"))
    return web.Response(status=204)


# ---- invoicing runs (staff) ------------------------------------------------------------

@routes.get("/invoicing/preview")
@before(staff_actor)
@api(summary="Every invoice a run for the month would issue now, a page at a time (staff)",
     query=MonthQuery, response=PreviewOut, tags=("invoicing",))
async def preview(request: web.Request, query: MonthQuery) -> PreviewOut:
    async with connection(request) as conn:
        return await service.preview(conn, month=query.month, cursor=query.cursor,
                                     limit=query.limit)


@routes.post("/invoicing/runs")
@before(staff_actor)
@api(summary="Issue the month's invoices (lines not billed yet) and credit notes (staff)",
     body=RunIn, response=RunOut, status=201, tags=("invoicing",))
async def run_invoicing(request: web.Request, body: RunIn) -> RunOut:
    async with connection(request) as conn:
        return await service.run_invoicing(
            conn, month=body.month, actor=staff_actor(request),
            due_days=request.app[keys.SETTINGS].due_days,
            terms=DebitTerms.of(request.app[keys.SETTINGS]))


# ---- invoices and credit notes -----------------------------------------------------------

@routes.get("/invoices")
@before(staff_actor)
@api(summary="Invoices of every family, newest first (staff)", query=StaffInvoiceQuery,
     response=InvoicePage, tags=("invoices",))
async def all_invoices(request: web.Request, query: StaffInvoiceQuery) -> InvoicePage:
    async with connection(request) as conn:
        return await service.all_invoices(conn, query=query,
                                          block_minutes=block_minutes(request))


@routes.get(INVOICE)
@before(staff_actor)
@api(summary="An invoice with its lines, credit notes and payments (staff)",
     response=InvoiceOut, tags=("invoices",))
async def staff_invoice(request: web.Request) -> InvoiceOut:
    async with connection(request) as conn:
        return await service.invoice_detail(conn, invoice_id=path_uuid(request, "invoice_id"),
                                            family_id=None,
                                            block_minutes=block_minutes(request))


@routes.post(INVOICE + "/credit-notes")
@before(staff_actor)
@api(summary="Credit billed days of an invoice (all those not credited yet by default)",
     body=CreditNoteIn, response=CreditNoteOut, status=201, tags=("invoices",))
async def credit_note(request: web.Request, body: CreditNoteIn) -> CreditNoteOut:
    async with connection(request) as conn:
        return await service.issue_credit_note(
            conn, invoice_id=path_uuid(request, "invoice_id"), body=body,
            actor=staff_actor(request))


@routes.get(FAMILY + "/invoices")
@before(family_access)
@api(summary="The family's invoices, newest first", query=InvoiceQuery, response=InvoicePage,
     tags=("invoices",))
async def family_invoices(request: web.Request, query: InvoiceQuery) -> InvoicePage:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.family_invoices(conn, family_id=access.family_id, query=query,
                                             block_minutes=block_minutes(request))


@routes.get(FAMILY + "/invoices/{invoice_id}")
@before(family_access)
@api(summary="One of the family's invoices with its lines, credit notes and payments",
     response=InvoiceOut, tags=("invoices",))
async def family_invoice(request: web.Request) -> InvoiceOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.invoice_detail(conn, invoice_id=path_uuid(request, "invoice_id"),
                                            family_id=access.family_id,
                                            block_minutes=block_minutes(request))


@routes.get(FAMILY + "/balance")
@before(family_access)
@api(summary="The family's account: invoiced, credited, paid, due, overdue",
     response=Balance, tags=("invoices",))
async def balance(request: web.Request) -> Balance:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.balance(conn, family_id=access.family_id)
