"""Logging in and out, forgotten password, choosing a password from an e-mailed link."""

import contextlib

from aiohttp import web

from gateway import keys
from gateway.clients import Account, Tokens
from gateway.render import (
    LOGIN_PATH,
    Form,
    flash,
    home_for,
    read_form,
    redirect,
    render,
    safe_next,
)
from gateway.security import NO_REFERRER
from gateway.session import authenticate, end_session, forwarded_for, start_session
from services.common.errors import Gone, NotFound, Problem, ValidationFailed

routes = web.RouteTableDef()

MISMATCH = "Les deux mots de passe saisis ne sont pas identiques."


async def account_of(request: web.Request, tokens: Tokens) -> Account:
    """The account a login answered for (asked to auth when the answer does not say)."""
    if tokens.account is not None:
        return tokens.account
    me = await request.app[keys.CLIENTS].auth.me(tokens.access_token)
    return Account(id=me.id, email=me.email, role=me.role, family_id=me.family_id)


@routes.get("/")
@routes.get(LOGIN_PATH)
async def login_page(request: web.Request) -> web.StreamResponse:
    target = safe_next(request.query.get("next"))
    session = await authenticate(request)
    if session is not None:
        return redirect(target or home_for(session.principal.role))
    return render(request, "login.html", {"form": Form(), "next": target or ""})


@routes.post(LOGIN_PATH)
async def login(request: web.Request) -> web.StreamResponse:
    form = await read_form(request, "email", "password", "next")
    target = safe_next(form.values["next"])
    try:
        tokens = await request.app[keys.CLIENTS].auth.login(
            form.values["email"].strip(), form.values["password"],
            forwarded_for=forwarded_for(request))
        account = await account_of(request, tokens)
    except Problem as problem:
        form.fail(problem, ("email", "password"))
        form.values["password"] = ""
        return render(request, "login.html", {"form": form, "next": target or ""},
                      problem=problem)
    start_session(request, tokens)
    return redirect(target or home_for(account.role))


@routes.post("/deconnexion")
async def logout(request: web.Request) -> web.StreamResponse:
    session = await authenticate(request)
    if session is not None:
        # The cookies go anyway; with auth unreachable the access token just lapses.
        with contextlib.suppress(Problem):
            await request.app[keys.CLIENTS].auth.logout(session.access)
    end_session(request)
    flash(request, "logged_out")
    return redirect(LOGIN_PATH)


@routes.get("/mot-de-passe-oublie")
async def forgot_page(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot.html", {"form": Form()})


@routes.post("/mot-de-passe-oublie")
async def forgot(request: web.Request) -> web.StreamResponse:
    form = await read_form(request, "email")
    try:
        await request.app[keys.CLIENTS].auth.forgot_password(
            form.values["email"].strip(), forwarded_for=forwarded_for(request))
    except Problem as problem:
        form.fail(problem, ("email",))
        return render(request, "forgot.html", {"form": form}, problem=problem)
    return redirect("/mot-de-passe-oublie/envoye")


@routes.get("/mot-de-passe-oublie/envoye")
async def forgot_sent(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot_sent.html")


def link_invalid(request: web.Request, *, welcome: bool = False, kind: str = "password"
                 ) -> web.Response:
    return render(request, "link_invalid.html", {"welcome": welcome, "kind": kind},
                  status=410)


@routes.get("/mot-de-passe/nouveau")
async def reset_page(request: web.Request) -> web.StreamResponse:
    request[NO_REFERRER] = True
    token = request.query.get("jeton", "")
    welcome = request.query.get("bienvenue") == "1"
    if not token:
        return link_invalid(request, welcome=welcome)
    try:
        check = await request.app[keys.CLIENTS].auth.check_password_token(token)
    except (Gone, NotFound, ValidationFailed):
        return link_invalid(request, welcome=welcome)
    welcome = welcome or check.kind == "invitation"
    return render(request, "reset.html", {
        "form": Form(), "token": token, "email": check.email, "welcome": welcome})


@routes.post("/mot-de-passe/nouveau")
async def reset(request: web.Request) -> web.StreamResponse:
    request[NO_REFERRER] = True
    form = await read_form(request, "jeton", "password", "password_confirmation", "bienvenue")
    token = form.values["jeton"]
    welcome = form.values["bienvenue"] == "1"
    auth = request.app[keys.CLIENTS].auth
    if not token:
        return link_invalid(request, welcome=welcome)
    if form.values["password"] != form.values["password_confirmation"]:
        form.add("password_confirmation", MISMATCH)
    else:
        try:
            tokens = await auth.reset_password(token, form.values["password"],
                                               forwarded_for=forwarded_for(request))
            account = await account_of(request, tokens)
        except (Gone, NotFound):
            return link_invalid(request, welcome=welcome)
        except Problem as problem:
            form.fail(problem, ("password",))
        else:
            start_session(request, tokens)
            flash(request, "password_set")
            return redirect(home_for(account.role))
    try:
        check = await auth.check_password_token(token)
    except (Gone, NotFound, ValidationFailed):
        return link_invalid(request, welcome=welcome)
    form.values["password"] = form.values["password_confirmation"] = ""
    return render(request, "reset.html", {
        "form": form, "token": token, "email": check.email,
        "welcome": welcome or check.kind == "invitation"}, status=422)
