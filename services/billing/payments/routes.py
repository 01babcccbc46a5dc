"""HTTP routes of payments: online (parent), recorded by staff, refunds, lists, and PayFiP's
notification (public: it only triggers a check with PayFiP)."""

from aiohttp import web

from services.billing import keys
from services.billing.access import family_access, parent_access, staff_actor
from services.billing.payments import service
from services.billing.payments.schemas import (
    InvoicePaymentIn,
    NotificationIn,
    OfflinePaymentIn,
    OnlinePaymentIn,
    PaymentOut,
    PaymentPage,
    PaymentQuery,
    RefundIn,
    Share,
    StaffPaymentQuery,
    StartedOut,
)
from services.common.api import api
from services.common.errors import BadRequest
from services.common.routing import before, connection
from services.common.validation import path_uuid, validate

routes = web.RouteTableDef()

FAMILY = "/families/{family_id}"


def payments_of(request: web.Request) -> service.Payments:
    return request.app[keys.PAYMENTS]


@routes.post(FAMILY + "/payments")
@before(parent_access)
@api(summary="Pay invoices online (the family's parent): where to send the payer",
     body=OnlinePaymentIn, response=StartedOut, status=201, tags=("payments",))
async def pay_online(request: web.Request, body: OnlinePaymentIn) -> StartedOut:
    access = parent_access(request)
    return await service.start_online(payments_of(request), family_id=access.family_id,
                                      wanted=body.invoices, actor=access.actor)


@routes.post(FAMILY + "/invoices/{invoice_id}/payments")
@before(parent_access)
@api(summary="Pay one invoice online, in full or in part (the family's parent)",
     body=InvoicePaymentIn, response=StartedOut, status=201, tags=("payments",))
async def pay_invoice_online(request: web.Request, body: InvoicePaymentIn) -> StartedOut:
    access = parent_access(request)
    share = Share(invoice_id=path_uuid(request, "invoice_id"), amount_cents=body.amount_cents)
    return await service.start_online(payments_of(request), family_id=access.family_id,
                                      wanted=[share], actor=access.actor)


@routes.get(FAMILY + "/payments")
@before(family_access)
@api(summary="The family's payments, newest first", query=PaymentQuery, response=PaymentPage,
     tags=("payments",))
async def family_payments(request: web.Request, query: PaymentQuery) -> PaymentPage:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.family_payments(conn, family_id=access.family_id, query=query)


@routes.get(FAMILY + "/payments/{payment_id}")
@before(family_access)
@api(summary="One of the family's payments", response=PaymentOut, tags=("payments",))
async def family_payment(request: web.Request) -> PaymentOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.read_payment(conn, path_uuid(request, "payment_id"),
                                          family_id=access.family_id)


@routes.post(FAMILY + "/payments/{payment_id}/verification")
@before(family_access)
@api(summary="Ask the provider now how an online payment stands (the payer is back): the "
             "payment as the service knows it", response=PaymentOut, tags=("payments",))
async def verify_payment(request: web.Request) -> PaymentOut:
    access = family_access(request)
    payment_id = path_uuid(request, "payment_id")
    async with connection(request) as conn:
        await service.read_payment(conn, payment_id, family_id=access.family_id)
    await service.verify(payments_of(request), payment_id=payment_id)
    async with connection(request) as conn:
        return await service.read_payment(conn, payment_id, family_id=access.family_id)


@routes.post(FAMILY + "/payments/offline")
@before(family_access, staff_actor)
@api(summary="Record a payment received by staff (chèque, espèces, CESU, chèques vacances, "
             "prélèvement)", body=OfflinePaymentIn, response=PaymentOut, status=201,
     tags=("payments",))
async def record_offline(request: web.Request, body: OfflinePaymentIn) -> PaymentOut:
    access = family_access(request)
    async with connection(request) as conn:
        return await service.record_offline(conn, family_id=access.family_id, body=body,
                                            actor=staff_actor(request))


@routes.get("/payments")
@before(staff_actor)
@api(summary="Payments of every family, newest first (staff)", query=StaffPaymentQuery,
     response=PaymentPage, tags=("payments",))
async def all_payments(request: web.Request, query: StaffPaymentQuery) -> PaymentPage:
    async with connection(request) as conn:
        return await service.all_payments(conn, query=query)


@routes.post("/payments/{payment_id}/refund")
@before(staff_actor)
@api(summary="Mark a validated payment as refunded (staff)", body=RefundIn,
     response=PaymentOut, tags=("payments",))
async def refund(request: web.Request, body: RefundIn) -> PaymentOut:
    async with connection(request) as conn:
        return await service.refund(conn, payment_id=path_uuid(request, "payment_id"),
                                    reason=body.reason)


async def operation_id(request: web.Request) -> str:
    """`idop` or `idOp`, from the query or a form or JSON body."""
    values: dict[str, object] = dict(request.query)
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except (ValueError, RecursionError) as exc:
                raise BadRequest("Le corps de la demande n'est pas un JSON valide.") from exc
            if isinstance(body, dict):
                values.update(body)
        else:
            values.update(await request.post())
    found = values.get("idop", values.get("idOp"))
    return validate(NotificationIn, {"idop": found}).idop


@routes.get("/payfip/notifications")
@routes.post("/payfip/notifications")
@api(summary="PayFiP's notification (GET or POST, `idop` or `idOp`): triggers a check with "
             "PayFiP, never believed by itself", auth=False, tags=("payments",))
async def notification(request: web.Request) -> web.Response:
    await service.verify_operation(payments_of(request), await operation_id(request))
    return web.json_response({})
