"""HTTP routes of SEPA direct debit: the family's mandate (signed by its parent with the code
e-mailed to them), and staff's monthly batches, bank files and returns."""

from aiohttp import web

from services.billing import keys
from services.billing.access import family_access, signer_access, staff_actor
from services.billing.sepa import debits, service
from services.billing.sepa.schemas import (
    BatchIn,
    BatchOut,
    CodeIn,
    DebitRow,
    DirectDebitOut,
    MandateIn,
    MandateOut,
    MonthDebits,
    MonthQuery,
    ReturnIn,
)
from services.common.api import api
from services.common.routing import before, connection
from services.common.validation import path_uuid

routes = web.RouteTableDef()

FAMILY = "/families/{family_id}"
MANDATE = FAMILY + "/mandates/{mandate_id}"


@routes.get(FAMILY + "/direct-debit")
@before(family_access)
@api(summary="The family's SEPA direct debit: active mandate (IBAN masked), the one awaiting "
             "its code, former ones, the creditor", response=DirectDebitOut,
     tags=("direct debit",))
async def direct_debit(request: web.Request) -> DirectDebitOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.direct_debit(conn, family_id=access.family_id,
                                          settings=request.app[keys.SETTINGS])


@routes.post(FAMILY + "/mandates")
@before(signer_access)
@api(summary="A new mandate (holder, IBAN) awaiting its signature; the code that signs it is "
             "e-mailed to the login address (the family's parent)", body=MandateIn,
     response=MandateOut, status=201, tags=("direct debit",))
async def create_mandate(request: web.Request, body: MandateIn) -> MandateOut:
    access = signer_access(request)
    async with connection(request) as conn:
        return await service.create_mandate(conn, family_id=access.family_id, body=body,
                                            actor=access.actor,
                                            settings=request.app[keys.SETTINGS])


@routes.post(MANDATE + "/code")
@before(signer_access)
@api(summary="Send another code for a mandate awaiting its signature (throttled)",
     response=MandateOut, tags=("direct debit",))
async def resend_code(request: web.Request) -> MandateOut:
    access = signer_access(request)
    async with connection(request) as conn:
        return await service.resend_code(conn, family_id=access.family_id,
                                         mandate_id=path_uuid(request, "mandate_id"),
                                         settings=request.app[keys.SETTINGS])


@routes.post(MANDATE + "/signature")
@before(signer_access)
@api(summary="Sign a mandate with the code received: it becomes the family's active mandate",
     body=CodeIn, response=MandateOut, tags=("direct debit",))
async def sign(request: web.Request, body: CodeIn) -> MandateOut:
    access = signer_access(request)
    async with connection(request) as conn:
        return await service.sign(conn, family_id=access.family_id,
                                  mandate_id=path_uuid(request, "mandate_id"), body=body,
                                  settings=request.app[keys.SETTINGS])


@routes.post(MANDATE + "/revocation")
@before(family_access)
@api(summary="Revoke a mandate: the debits not yet sent to the bank are cancelled",
     response=MandateOut, tags=("direct debit",))
async def revoke(request: web.Request) -> MandateOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.revoke(conn, family_id=access.family_id,
                                    mandate_id=path_uuid(request, "mandate_id"),
                                    actor=access.actor)


# ---- staff ---------------------------------------------------------------------------------

@routes.get("/direct-debits")
@before(staff_actor)
@api(summary="A month's debits to check (IBAN masked), its batches, the return codes (staff)",
     query=MonthQuery, response=MonthDebits, tags=("direct debit",))
async def month_debits(request: web.Request, query: MonthQuery) -> MonthDebits:
    async with connection(request) as conn:
        return await debits.month_debits(conn, month=query.month)


@routes.post("/direct-debits/batches")
@before(staff_actor)
@api(summary="Gather the month's pre-notified debits into a batch and its pain.008 file "
             "(staff)", body=BatchIn, response=BatchOut, status=201, tags=("direct debit",))
async def build_batch(request: web.Request, body: BatchIn) -> BatchOut:
    async with connection(request) as conn:
        return await debits.build_batch(conn, month=body.month, actor=staff_actor(request),
                                        settings=request.app[keys.SETTINGS])


@routes.get("/direct-debits/batches/{batch_id}/file")
@before(staff_actor)
@api(summary="A batch's pain.008.001.02 file for the bank (staff; the full IBANs)",
     tags=("direct debit",))
async def batch_file(request: web.Request) -> web.Response:
    async with connection(request) as conn:
        name, xml = await debits.batch_file(conn, path_uuid(request, "batch_id"))
    return web.Response(body=xml, content_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@routes.post("/direct-debits/returns")
@before(staff_actor)
@api(summary="Record the bank's return of a debit (R-code): the invoice is to pay again, the "
             "family told (staff)", body=ReturnIn, response=DebitRow, tags=("direct debit",))
async def record_return(request: web.Request, body: ReturnIn) -> DebitRow:
    async with connection(request) as conn:
        return await debits.record_return(conn, body=body, actor=staff_actor(request))
