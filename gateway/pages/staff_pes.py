"""« Espace gestion » — « Export PES (Trésor public) »: choose a month, preview the pieces
(family, invoice, amount) and totals, prepare the file, download it, mark it as sent (or
abandon the draft). Every rule, amount, number and message is the billing service's."""

import re

from aiohttp import web

from gateway import keys
from gateway.pages.staff import T, render_staff, staff_load, staff_session, uuid_in
from gateway.pages.staff_billing import INVOICING, last_month
from gateway.render import Form, flash, read_form, redirect
from gateway.session import upstream
from services.common.errors import Problem, Unauthorized, ValidationFailed

routes = web.RouteTableDef()

PES = INVOICING + "/pes"
BATCH = PES + "/lots/{batch_id}"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MONTH_ERROR = "Indiquez un mois au format AAAA-MM, par exemple 2027-07."


def back(month: str) -> str:
    return f"{PES}?mois={month}" if MONTH.match(month) else PES


async def pes_page(request: web.Request, month: str, form: Form, *,
                   status: int = 200) -> web.Response:
    """The page of `month` (none: the month form alone), with `form`'s errors."""
    billing = request.app[keys.CLIENTS].billing
    asked = bool(month) and not form.invalid

    async def load(token: str) -> T:
        if not asked:
            return {"preview": None}
        try:
            return {"preview": await billing.pes_preview(token, month=month)}
        except Unauthorized:
            raise
        except ValidationFailed as problem:
            problem.errors = [{**e, "field": "mois"} for e in problem.errors or []]
            form.fail(problem, ("mois",))
            return {"preview": None}

    data = await staff_load(request, load)
    return render_staff(request, "gestion/billing/pes.html", {
        **data, "form": form, "month": month if data["preview"] else None},
        status=422 if status == 200 and form.invalid else status)


@routes.get(PES)
async def pes(request: web.Request) -> web.StreamResponse:
    month = request.query.get("mois", "").strip()
    form = Form(values={"mois": month or last_month()})
    if month and not MONTH.match(month):
        form.add("mois", MONTH_ERROR, "Mois")
    return await pes_page(request, month, form)


@routes.post(PES + "/preparation")
async def prepare(request: web.Request) -> web.StreamResponse:
    """« Préparer le fichier »: a new batch with the next number, or the month's draft
    rebuilt (the service decides and numbers)."""
    await staff_session(request)
    form = await read_form(request, "mois")
    month = form.values["mois"].strip()
    if not MONTH.match(month):
        form.add("mois", MONTH_ERROR, "Mois")
        return await pes_page(request, "", form)
    billing = request.app[keys.CLIENTS].billing
    try:
        await upstream(request, lambda t: billing.pes_prepare(t, month=month))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ())
        return await pes_page(request, month, form, status=problem.status)
    flash(request, "pes_prepared")
    return redirect(back(month))


async def batch_action(request: web.Request, action: str) -> web.StreamResponse:
    await staff_session(request)
    batch_id = uuid_in(request, "batch_id")
    form = await read_form(request, "mois", "fichier")
    month = form.values["mois"].strip()
    # The file shown on the page the agent marks as sent (a rebuild since: billing's 409).
    sha = form.values["fichier"].strip().lower()
    billing = request.app[keys.CLIENTS].billing
    try:
        if action == "sent":
            await upstream(request, lambda t: billing.pes_mark_sent(
                t, batch_id, file_sha256=sha if SHA256.match(sha) else None))
        else:
            await upstream(request, lambda t: billing.pes_drop(t, batch_id))
    except Unauthorized:
        raise
    except Problem as problem:
        if problem.status == 404:
            raise
        form.fail(problem, ())
        return await pes_page(request, month if MONTH.match(month) else "", form,
                              status=problem.status)
    flash(request, "pes_sent" if action == "sent" else "pes_dropped")
    return redirect(back(month))


@routes.post(BATCH + "/envoi")
async def mark_sent(request: web.Request) -> web.StreamResponse:
    """« Marquer comme envoyé »: the batch and its file never change again."""
    return await batch_action(request, "sent")


@routes.post(BATCH + "/abandon")
async def drop(request: web.Request) -> web.StreamResponse:
    """« Abandonner ce lot »: a draft only; its number goes to the next one."""
    return await batch_action(request, "drop")


@routes.get(BATCH + "/fichier")
async def download(request: web.Request) -> web.StreamResponse:
    """The file as the service built it, byte for byte (ISO-8859-1 XML)."""
    await staff_session(request)
    batch_id = uuid_in(request, "batch_id")
    billing = request.app[keys.CLIENTS].billing
    xml, name = await upstream(request, lambda t: billing.pes_file(t, batch_id))
    return web.Response(body=xml, headers={
        "Content-Type": "application/xml; charset=ISO-8859-1",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
