"""« Mes informations »: changing the login e-mail and the password (guide §5, §6)."""

import contextlib

from aiohttp import web

from gateway import keys
from gateway.pages.account import MISMATCH, account_of, link_invalid
from gateway.render import Form, flash, home_for, read_form, redirect, render
from gateway.security import NO_REFERRER
from gateway.session import forwarded_for, require_session, start_session, upstream
from services.common.errors import (
    Conflict,
    Gone,
    NotFound,
    Problem,
    Unauthorized,
    ValidationFailed,
)

routes = web.RouteTableDef()

LOGIN_CHANGE = "/mon-compte/login"
LOGIN_CONFIRM = "/mon-compte/login/confirmer"
PASSWORD_CHANGE = "/mon-compte/mot-de-passe"  # noqa: S105 - a page path


@routes.get(LOGIN_CHANGE)
async def login_change_page(request: web.Request) -> web.StreamResponse:
    me = await upstream(request, request.app[keys.CLIENTS].auth.me)
    return render(request, "login_change.html", {"form": Form(), "me": me})


@routes.post(LOGIN_CHANGE)
async def login_change(request: web.Request) -> web.StreamResponse:
    session = await require_session(request)
    form = await read_form(request, "new_email", "password")
    auth = request.app[keys.CLIENTS].auth

    async def change(token: str) -> None:
        await auth.change_email(token, new_email=form.values["new_email"].strip(),
                                password=form.values["password"],
                                forwarded_for=forwarded_for(request))

    try:
        await upstream(request, change)
    except Unauthorized:
        raise
    except Problem as problem:  # field errors, too many attempts, auth unreachable
        form.fail(problem, ("new_email", "password"))
        form.values["password"] = ""
        me = None
        with contextlib.suppress(Problem):
            me = await upstream(request, auth.me)
        return render(request, "login_change.html", {"form": form, "me": me},
                      problem=problem)
    flash(request, "email_change_requested")
    return redirect(home_for(session.principal.role))


@routes.post(LOGIN_CHANGE + "/renvoyer")
async def resend_login_link(request: web.Request) -> web.StreamResponse:
    """« Renvoyer le lien »: a new link to the pending address (the older one dies)."""
    await require_session(request)
    auth = request.app[keys.CLIENTS].auth
    try:
        await upstream(request, auth.resend_email_link)
    except Unauthorized:
        raise
    except Problem as problem:  # nothing pending, capped, address taken meanwhile
        return await login_change_refused(request, problem)
    flash(request, "email_link_sent_again")
    return redirect(LOGIN_CHANGE)


@routes.post(LOGIN_CHANGE + "/annuler")
async def cancel_login_change(request: web.Request) -> web.StreamResponse:
    """« Annuler la demande »: the link dies, the login stays as it is."""
    await require_session(request)
    auth = request.app[keys.CLIENTS].auth
    try:
        await upstream(request, auth.cancel_email_change)
    except Unauthorized:
        raise
    except Problem as problem:
        return await login_change_refused(request, problem)
    flash(request, "email_change_cancelled")
    return redirect(LOGIN_CHANGE)


async def login_change_refused(request: web.Request, problem: Problem) -> web.Response:
    form = Form()
    form.fail(problem, ())
    me = None
    with contextlib.suppress(Problem):
        me = await upstream(request, request.app[keys.CLIENTS].auth.me)
    return render(request, "login_change.html", {"form": form, "me": me}, problem=problem)


@routes.get(LOGIN_CONFIRM)
async def login_confirm_page(request: web.Request) -> web.StreamResponse:
    """Asks for one click (done by our script when it runs): a GET must not use up the link,
    since mail scanners open links before the parent does. It says which address it
    confirms (looking does not use the link)."""
    request[NO_REFERRER] = True
    token = request.query.get("jeton", "")
    if not token:
        return link_invalid(request, kind="email")
    try:
        email = await request.app[keys.CLIENTS].auth.email_link(token)
    except (Gone, NotFound, ValidationFailed):
        return link_invalid(request, kind="email")
    return render(request, "login_confirm.html", {"token": token, "email": email})


@routes.post(LOGIN_CONFIRM)
async def login_confirm(request: web.Request) -> web.StreamResponse:
    request[NO_REFERRER] = True
    form = await read_form(request, "jeton")
    if not form.values["jeton"]:
        return link_invalid(request, kind="email")
    auth = request.app[keys.CLIENTS].auth
    try:
        tokens = await auth.confirm_email(form.values["jeton"],
                                          forwarded_for=forwarded_for(request))
        account = await account_of(request, tokens)
    except (Gone, NotFound, ValidationFailed):
        return link_invalid(request, kind="email")
    except Conflict as problem:
        return render(request, "error.html", {"heading": "Adresse déjà utilisée",
                                              "problem": problem}, status=409)
    start_session(request, tokens)
    flash(request, "email_changed")
    return redirect(home_for(account.role))


@routes.get(PASSWORD_CHANGE)
async def password_change_page(request: web.Request) -> web.StreamResponse:
    await require_session(request)
    return render(request, "password_change.html", {"form": Form()})


@routes.post(PASSWORD_CHANGE)
async def password_change(request: web.Request) -> web.StreamResponse:
    session = await require_session(request)
    names = ("current_password", "new_password", "new_password_confirmation")
    form = await read_form(request, *names)
    failed: Problem | None = None
    if form.values["new_password"] != form.values["new_password_confirmation"]:
        form.add("new_password_confirmation", MISMATCH)
    else:
        async def change(token: str) -> None:
            await request.app[keys.CLIENTS].auth.change_password(
                token, current_password=form.values["current_password"],
                new_password=form.values["new_password"], forwarded_for=forwarded_for(request))

        try:
            await upstream(request, change)
        except Unauthorized:
            raise
        except Problem as problem:
            form.fail(problem, names[:2])
            failed = problem
        else:
            flash(request, "password_changed")
            return redirect(home_for(session.principal.role))
    for name in names:
        form.values[name] = ""
    return render(request, "password_change.html", {"form": form}, status=422,
                  problem=failed)


