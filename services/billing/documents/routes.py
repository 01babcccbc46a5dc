"""HTTP routes of documents: invoice and credit note PDFs."""

from aiohttp import web

from services.billing import keys
from services.billing.access import family_access, staff_actor
from services.billing.documents import service
from services.billing.invoicing import service as invoicing
from services.common.api import api
from services.common.routing import before, connection
from services.common.validation import path_uuid

routes = web.RouteTableDef()

FAMILY = "/families/{family_id}"


def pdf_response(pdf: bytes, filename: str) -> web.Response:
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})


async def invoice_pdf(request: web.Request, family_id: object) -> web.Response:
    settings = request.app[keys.SETTINGS]
    async with connection(request) as conn:
        invoice = await invoicing.invoice_detail(
            conn, invoice_id=path_uuid(request, "invoice_id"),
            family_id=family_id,  # type: ignore[arg-type]
            block_minutes=settings.payment_pending_block_minutes)
        pdf = await service.invoice_pdf(conn, request.app[keys.RENDERER], invoice=invoice,
                                        portal_url=settings.public_url)
    return pdf_response(pdf, f"facture-{invoice.number}.pdf")


async def credit_note_pdf(request: web.Request, family_id: object) -> web.Response:
    async with connection(request) as conn:
        note = await invoicing.credit_note_detail(
            conn, credit_note_id=path_uuid(request, "credit_note_id"),
            family_id=family_id)  # type: ignore[arg-type]
        invoice = await invoicing.invoice_detail(conn, invoice_id=note.invoice_id,
                                                 family_id=None, block_minutes=0)
        pdf = await service.credit_note_pdf(conn, request.app[keys.RENDERER], note=note, recipient={
            "name": invoice.family_name, "address": invoice.address.model_dump()})
    return pdf_response(pdf, f"avoir-{note.number}.pdf")


@routes.get(FAMILY + "/invoices/{invoice_id}/pdf")
@before(family_access)
@api(summary="One of the family's invoices as a PDF", tags=("documents",))
async def family_invoice_pdf(request: web.Request) -> web.Response:
    return await invoice_pdf(request, family_access(request).family_id)


@routes.get(FAMILY + "/credit-notes/{credit_note_id}/pdf")
@before(family_access)
@api(summary="One of the family's credit notes as a PDF", tags=("documents",))
async def family_credit_note_pdf(request: web.Request) -> web.Response:
    return await credit_note_pdf(request, family_access(request).family_id)


@routes.get("/invoices/{invoice_id}/pdf")
@before(staff_actor)
@api(summary="An invoice as a PDF (staff)", tags=("documents",))
async def staff_invoice_pdf(request: web.Request) -> web.Response:
    return await invoice_pdf(request, None)


@routes.get("/credit-notes/{credit_note_id}/pdf")
@before(staff_actor)
@api(summary="A credit note as a PDF (staff)", tags=("documents",))
async def staff_credit_note_pdf(request: web.Request) -> web.Response:
    return await credit_note_pdf(request, None)
