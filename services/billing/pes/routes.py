"""HTTP routes of PES exports to the public accountant (staff only)."""

import hashlib
import re

from aiohttp import web

from services.billing import keys
from services.billing.access import staff_actor
from services.billing.pes import service
from services.billing.pes.schemas import (
    PesBatchDetail,
    PesBatchIn,
    PesBatchList,
    PesBatchQuery,
    PesMonthQuery,
    PesPreview,
)
from services.common.api import api
from services.common.errors import BadRequest
from services.common.routing import before, connection
from services.common.validation import path_uuid

routes = web.RouteTableDef()

BATCH = "/pes/batches/{batch_id}"
_ETAG = re.compile(r'^(?:W/)?"?([0-9a-f]{64})"?$')


def file_etag(request: web.Request) -> str | None:
    """The file the client holds (`If-Match: "<SHA-256>"`, the file's ETag), when it says."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    found = _ETAG.match(header)
    if found is None:
        raise BadRequest("L'en-tête If-Match est invalide.")
    return found.group(1)


@routes.get("/pes/preview")
@before(staff_actor)
@api(summary="The pieces and totals a PES batch of the month would hold now, the invoices "
             "left out and why, and the month's batches (staff)",
     query=PesMonthQuery, response=PesPreview, tags=("pes",))
async def preview(request: web.Request, query: PesMonthQuery) -> PesPreview:
    async with connection(request) as conn:
        return await service.preview(conn, settings=request.app[keys.SETTINGS],
                                     month=query.month)


@routes.get("/pes/batches")
@before(staff_actor)
@api(summary="PES batches of a month (or the latest ones) (staff)", query=PesBatchQuery,
     response=PesBatchList, tags=("pes",))
async def list_batches(request: web.Request, query: PesBatchQuery) -> PesBatchList:
    async with connection(request) as conn:
        return await service.batches(conn, month=query.month)


@routes.post("/pes/batches")
@before(staff_actor)
@api(summary="Prepare the month's PES batch: a new one with the next number, or the month's "
             "draft rebuilt (staff)",
     body=PesBatchIn, response=PesBatchDetail, status=201, tags=("pes",))
async def prepare(request: web.Request, body: PesBatchIn) -> PesBatchDetail:
    async with connection(request) as conn:
        return await service.prepare(conn, settings=request.app[keys.SETTINGS],
                                     month=body.month, actor=staff_actor(request))


@routes.get(BATCH)
@before(staff_actor)
@api(summary="A PES batch and its pieces (staff)", response=PesBatchDetail, tags=("pes",))
async def get_batch(request: web.Request) -> PesBatchDetail:
    async with connection(request) as conn:
        return await service.detail(conn, batch_id=path_uuid(request, "batch_id"))


@routes.get(BATCH + "/file")
@before(staff_actor)
@api(summary="The PES V2 ORMC file of a batch, as built (ISO-8859-1 XML) (staff)",
     tags=("pes",))
async def get_file(request: web.Request) -> web.Response:
    async with connection(request) as conn:
        name, xml = await service.file(conn, batch_id=path_uuid(request, "batch_id"))
    return web.Response(body=xml, headers={
        "Content-Type": "application/xml; charset=ISO-8859-1",
        "ETag": f'"{hashlib.sha256(xml).hexdigest()}"',
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


@routes.post(BATCH + "/sent")
@before(staff_actor)
@api(summary="Mark a PES batch as sent to the accountant: it never changes again (staff; "
             "If-Match: the file's ETag, 409 if it was rebuilt since)",
     response=PesBatchDetail, tags=("pes",))
async def mark_sent(request: web.Request) -> PesBatchDetail:
    async with connection(request) as conn:
        return await service.mark_sent(conn, batch_id=path_uuid(request, "batch_id"),
                                       actor=staff_actor(request),
                                       file_sha256=file_etag(request))


@routes.delete(BATCH)
@before(staff_actor)
@api(summary="Abandon a PES batch in preparation (never a sent one) (staff)", status=204,
     tags=("pes",))
async def drop(request: web.Request) -> web.Response:
    async with connection(request) as conn:
        await service.drop(conn, batch_id=path_uuid(request, "batch_id"))
    return web.Response(status=204)
