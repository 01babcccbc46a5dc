"""« Espace gestion » — families: search, a family's page (file, children, accounts, QF),
« Créer une famille » (its parent is invited by e-mail by the system), RGPD export."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.messages import ACCOUNT_STATES, CIVILITIES
from gateway.pages.family import (
    LISTS,
    SECTIONS,
    Editor,
    export_response,
    family_submission,
    field_names,
    file_values,
    pending_of,
    read_fields,
    row_counts,
    save_form,
    section_of,
    show_form,
)
from gateway.pages.staff import (
    FAMILIES,
    QUEUE,
    T,
    cursor_query,
    nothing,
    pager,
    render_staff,
    staff_load,
    staff_session,
    uuid_in,
)
from gateway.render import Form, flash, read_form, redirect
from gateway.session import upstream
from gateway.templating import PARIS
from services.common.errors import Problem, Unauthorized, ValidationFailed

routes = web.RouteTableDef()

NEW_FAMILY = FAMILIES + "/nouvelle"
FAMILY = FAMILIES + "/{family_id}"
# The new file's own fields, besides those a parent may change.
CREATE_EXTRA = ("email", "qf")


# ---- search -------------------------------------------------------------------------------------

@routes.get(FAMILIES)
async def families_list(request: web.Request) -> web.StreamResponse:
    q = request.query.get("q", "").strip()
    cursor = cursor_query(request)
    families = request.app[keys.CLIENTS].families
    error: Problem | None = None

    async def load(token: str) -> T:
        nonlocal error
        try:
            return {"found": await families.search(token, q=q or None, cursor=cursor)}
        except Unauthorized:
            raise
        except Problem as problem:  # a search text too long, a tampered page link: said above
            error = problem
            return {"found": {"items": []}}

    data = await staff_load(request, load)
    form = Form(values={"q": q})
    if error is not None:
        error.errors = [{**e, "field": "q"} for e in error.errors or []]
        form.fail(error, ("q",))
    return render_staff(request, "gestion/families.html", {
        **data, "form": form, "q": q, "items": data["found"].get("items", []),
        "pager": pager(data["found"], FAMILIES, q=q or None)},
        status=error.status if error else 200)


# ---- « Créer une famille » ----------------------------------------------------------------------

def create_page(request: web.Request, data: T, form: Form, *, status: int = 200
                ) -> web.Response:
    return render_staff(request, "gestion/family_new.html", {
        **data, "form": form, "rows": row_counts(form.values), "pending": {}, "in_force": {},
        "civilities": [(c, c) for c in CIVILITIES], "qf_editable": True}, status=status)


async def _nothing(token: str) -> T:
    return {}


@routes.get(NEW_FAMILY)
async def new_family_page(request: web.Request) -> web.StreamResponse:
    data = await staff_load(request, _nothing)
    return create_page(request, data, Form())


@routes.post(NEW_FAMILY)
async def new_family(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    families = request.app[keys.CLIENTS].families
    names = field_names(*CREATE_EXTRA)
    form = read_fields(await request.post(), names)
    submission = family_submission(form.values, None, extra=CREATE_EXTRA)
    try:
        created = await upstream(request, lambda token: families.create_family(
            token, submission.body))
    except Unauthorized:
        raise
    except Problem as problem:
        submission.show(form, problem, names)
        return create_page(request, await staff_load(request, _nothing), form,
                           status=problem.status)
    flash(request, "family_created")
    return redirect(f"{FAMILIES}/{created.get('id')}")


# ---- a family's page ----------------------------------------------------------------------------

def invitation_state(account: dict[str, Any]) -> str:
    """« Invitation envoyée… (valable jusqu'au …) » / « … expirée » / « Compte activé »."""
    state = ACCOUNT_STATES.get(str(account.get("status")), str(account.get("status")))
    expires = account.get("invitation_expires_at")
    if account.get("status") != "invited" or not isinstance(expires, str):
        return state
    try:
        at = datetime.fromisoformat(expires)
    except ValueError:
        return state
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at <= datetime.now(PARIS):
        return f"{state} — l'invitation a expiré"
    return state


async def load_family(request: web.Request, family_id: uuid.UUID) -> T:
    """The file, the children, the accounts (auth may be unavailable: said on the page) and
    the family's requests awaiting validation, in parallel."""
    clients = request.app[keys.CLIENTS]

    async def load(token: str) -> T:
        family, children, accounts, waiting = await asyncio.gather(
            clients.families.family(token, family_id),
            clients.families.children_page(token, family_id),
            clients.auth.accounts(token, family_id),
            clients.families.queue(token, family_id=family_id, page_size=1),
            return_exceptions=True)
        for part in (family, children, waiting):
            if isinstance(part, BaseException):
                raise part
        if isinstance(accounts, Unauthorized):
            raise accounts
        return {"family": family, "children": children,
                "accounts": None if isinstance(accounts, BaseException) else accounts,
                "waiting": waiting}

    return await staff_load(request, load)


def family_page(request: web.Request, data: T, *, qf_form: Form | None = None,
                error: str | None = None, status: int = 200) -> web.Response:
    family = data["family"]
    accounts = data["accounts"]
    qf = family.get("qf")
    return render_staff(request, "gestion/family.html", {
        **data,
        "in_force": file_values(family),
        "pending": pending_of(family),
        "lists": [spec.name for spec in LISTS],
        "accounts": None if accounts is None else
        [{**a, "state": invitation_state(a)} for a in accounts],
        "qf_form": qf_form or Form(values={"qf": "" if qf is None else str(qf)}),
        "error": error,
        "queue_link": f"{QUEUE}?famille={family.get('id')}",
        "sections": SECTIONS,
    }, status=status)


@routes.get(FAMILY)
async def family(request: web.Request) -> web.StreamResponse:
    family_id = uuid_in(request, "family_id")
    return family_page(request, await load_family(request, family_id))


@routes.post(FAMILY + "/qf")
async def set_qf(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    families = request.app[keys.CLIENTS].families
    form = await read_form(request, "qf", "comment")
    qf = form.values["qf"].strip() or None
    comment = form.values["comment"].strip() or None
    try:
        await upstream(request, lambda token: families.set_qf(token, family_id, qf=qf,
                                                              comment=comment))
    except Unauthorized:
        raise
    except Problem as problem:
        form.fail(problem, ("qf", "comment"))
        return family_page(request, await load_family(request, family_id), qf_form=form,
                           status=problem.status)
    flash(request, "qf_set")
    return redirect(f"{FAMILIES}/{family_id}")


@routes.post(FAMILY + "/comptes/{account_id}/invitation")
async def reissue_invitation(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    account_id = uuid_in(request, "account_id")
    auth = request.app[keys.CLIENTS].auth
    try:
        await upstream(request, lambda token: auth.reissue_invitation(token, account_id))
    except Unauthorized:
        raise
    except Problem as problem:  # already active, unknown account, auth unavailable
        return family_page(request, await load_family(request, family_id),
                           error=problem.title, status=problem.status)
    flash(request, "invitation_sent")
    return redirect(f"{FAMILIES}/{family_id}")


ACCOUNT_ACTIONS = {"desactiver": (True, "account_disabled"),
                   "reactiver": (False, "account_enabled")}


UNKNOWN_ACTION = "Action inconnue sur ce compte."


async def account_status(request: web.Request, account_id: uuid.UUID) -> Problem | None:
    """« Désactiver le compte » / « Réactiver le compte » as the form asks (auth lets
    administrators only, never on their own account); the refusal, or None (flashed)."""
    form = await read_form(request, "action")
    if form.values["action"] not in ACCOUNT_ACTIONS:
        return ValidationFailed(UNKNOWN_ACTION)
    disabled, message = ACCOUNT_ACTIONS[form.values["action"]]
    auth = request.app[keys.CLIENTS].auth
    try:
        await upstream(request, lambda token: auth.set_account_disabled(
            token, account_id, disabled=disabled))
    except Unauthorized:
        raise
    except Problem as problem:  # not an administrator, their own account, auth unavailable
        return problem
    flash(request, message)
    return None


@routes.post(FAMILY + "/comptes/{account_id}/statut")
async def set_account_status(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    problem = await account_status(request, uuid_in(request, "account_id"))
    if problem is not None:
        return family_page(request, await load_family(request, family_id),
                           error=problem.detail or problem.title, status=problem.status)
    return redirect(f"{FAMILIES}/{family_id}")


# ---- the service's own accounts (issue 10, point 14) --------------------------------------------

ACCOUNTS = "/gestion/comptes"


async def accounts_page(request: web.Request, *, error: str | None = None, status: int = 200
                        ) -> web.Response:
    auth = request.app[keys.CLIENTS].auth

    async def load(token: str) -> T:
        return {"accounts": [{**a, "state": invitation_state(a)}
                             for a in await auth.staff_accounts(token)]}

    return render_staff(request, "gestion/accounts.html",
                        {**await staff_load(request, load), "error": error}, status=status)


@routes.get(ACCOUNTS)
async def staff_accounts(request: web.Request) -> web.StreamResponse:
    return await accounts_page(request)


@routes.post(ACCOUNTS + "/{account_id}/statut")
async def set_staff_account_status(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    problem = await account_status(request, uuid_in(request, "account_id"))
    if problem is not None:
        return await accounts_page(request, error=problem.detail or problem.title,
                                   status=problem.status)
    return redirect(ACCOUNTS)


@routes.get(FAMILY + "/export")
async def export(request: web.Request) -> web.StreamResponse:
    await staff_session(request)
    family_id = uuid_in(request, "family_id")
    families = request.app[keys.CLIENTS].families
    data = await upstream(request, lambda token: families.export(token, family_id))
    return export_response(data, f"famille-{family_id}.json")


# ---- a family's file edited directly (issue 10, point 11) ---------------------------------------

def staff_editor(family_id: uuid.UUID) -> Editor:
    """Staff change a file at once (the families service audits it as a staff change), one
    section at a time like parents: phone calls from parents end up here."""
    page = FAMILY.format(family_id=family_id)
    return Editor(family_id, True, f"{page}/modifier", (page, "Retour à la famille"), page,
                  "family_changed_by_staff")


@routes.get(FAMILY + "/modifier/{section}")
async def edit_section(request: web.Request) -> web.StreamResponse:
    extra = await staff_load(request, nothing)
    editor = staff_editor(uuid_in(request, "family_id"))
    return await show_form(request, editor, section_of(request), extra=extra)


@routes.post(FAMILY + "/modifier/{section}")
async def save_section(request: web.Request) -> web.StreamResponse:
    extra = await staff_load(request, nothing)
    editor = staff_editor(uuid_in(request, "family_id"))
    return await save_form(request, editor, section_of(request), extra=extra)
