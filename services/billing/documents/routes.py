"""HTTP routes of documents: invoice and credit note PDFs, tax certificates."""

import re
import unicodedata

from aiohttp import web

from services.billing import keys
from services.billing import repo as families_repo
from services.billing.access import family_access, staff_actor
from services.billing.documents import service, tax
from services.billing.documents.tax import CertificateList
from services.billing.fields import today
from services.billing.invoicing import service as invoicing
from services.common.api import api
from services.common.errors import NotFound
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


@routes.get(FAMILY + "/tax-certificates")
@before(family_access)
@api(summary="The family's tax certificates: per year and child under 6 on 1 January, the "
             "childcare paid", response=CertificateList, tags=("documents",))
async def tax_certificates(request: web.Request) -> CertificateList:
    access = family_access(request)
    async with connection(request) as conn:
        return await tax.family_certificates(conn, access.family_id)


@routes.get(FAMILY + "/tax-certificates/{year}/{child_id}/pdf")
@before(family_access)
@api(summary="A tax certificate as a PDF", tags=("documents",))
async def tax_certificate_pdf(request: web.Request) -> web.Response:
    access = family_access(request)
    child_id = path_uuid(request, "child_id")
    raw = request.match_info["year"]
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
    if not 2000 <= year <= 2100:
        raise NotFound()
    async with connection(request) as conn:
        found = [c for c in await tax.certificates_of_year(conn, access.family_id, year)
                 if c.child_id == child_id]
        if not found:
            raise NotFound()
        certificate = found[0]
        family = await families_repo.get_family(conn, access.family_id)
        assert family is not None
        context = {
            "year": year, "issued_on": today(),
            "child": {"name": certificate.child_name, "birth_date": certificate.birth_date},
            "amount_cents": certificate.amount_cents, "rows": certificate.rows,
            "recipient": {"name": family["name"], "address": {
                "line1": family["address_line1"], "line2": family["address_line2"],
                "postal_code": family["postal_code"], "city": family["city"]}},
        }
        pdf = await service.cached_pdf(conn, request.app[keys.RENDERER],
                                       owner_id=certificate.owner_id, kind="tax_certificate",
                                       template="tax_certificate.html", context=context)
    return pdf_response(pdf, f"attestation-fiscale-{year}-{slug(certificate.child_name)}.pdf")


def slug(name: str) -> str:
    """« Léa Martin » → « lea-martin » (a file name every system reads)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_name.lower())) or "enfant"
