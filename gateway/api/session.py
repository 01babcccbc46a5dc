"""Session and account calls of the JSON API: log in/out, passwords, login e-mail."""

from aiohttp import web

from gateway import keys
from gateway.api.schemas import (
    Accepted,
    AccountOut,
    ConfirmBody,
    CsrfOut,
    EmailBody,
    ForgotBody,
    LoginBody,
    PasswordBody,
    ResetBody,
    SessionOut,
)
from gateway.clients import Tokens
from gateway.pages.account import account_of
from gateway.security import csrf_token
from gateway.session import authenticate, end_session, forwarded_for, start_session, upstream
from services.common.api import api
from services.common.errors import Problem

routes = web.RouteTableDef()
TAGS = ("session",)


async def _opened(request: web.Request, tokens: Tokens, *, in_body: bool) -> SessionOut:
    account = AccountOut.model_validate((await account_of(request, tokens)).model_dump())
    if in_body:
        return SessionOut(account=account, access_token=tokens.access_token,
                          refresh_token=tokens.refresh_token, expires_in=tokens.expires_in)
    start_session(request, tokens)
    return SessionOut(account=account, csrf_token=csrf_token(request))


@routes.post("/api/v1/session")
@api(summary="Log in (cookies, or the tokens with `token: true`)", body=LoginBody,
     response=SessionOut, status=201, tags=TAGS, auth=False)
async def login(request: web.Request, body: LoginBody) -> SessionOut:
    tokens = await request.app[keys.CLIENTS].auth.login(
        body.email.strip(), body.password, forwarded_for=forwarded_for(request))
    return await _opened(request, tokens, in_body=body.token)


@routes.delete("/api/v1/session")
@api(summary="Log out (revokes the session, if any: 204 either way)", status=204, tags=TAGS,
     auth=False)
async def logout(request: web.Request) -> web.StreamResponse:
    session = await authenticate(request)
    if session is not None:
        try:
            await request.app[keys.CLIENTS].auth.logout(session.access)
        except Problem:
            if session.via_bearer:
                raise
    if session is None or not session.via_bearer:
        end_session(request)
    return web.Response(status=204)


@routes.get("/api/v1/session/csrf")
@api(summary="The CSRF token to send as X-CSRF-Token with cookie sessions", response=CsrfOut,
     tags=TAGS, auth=False)
async def csrf(request: web.Request) -> CsrfOut:
    return CsrfOut(csrf_token=csrf_token(request))


@routes.post("/api/v1/password/forgot")
@api(summary="Ask for a link to choose a new password (always 202)", body=ForgotBody,
     response=Accepted, status=202, tags=TAGS, auth=False)
async def forgot(request: web.Request, body: ForgotBody) -> Accepted:
    await request.app[keys.CLIENTS].auth.forgot_password(
        body.email.strip(), forwarded_for=forwarded_for(request))
    return Accepted()


@routes.post("/api/v1/password/reset")
@api(summary="Choose a new password with the e-mailed token (logs in)", body=ResetBody,
     response=SessionOut, tags=TAGS, auth=False)
async def reset(request: web.Request, body: ResetBody) -> SessionOut:
    tokens = await request.app[keys.CLIENTS].auth.reset_password(
        body.token, body.password, forwarded_for=forwarded_for(request))
    return await _opened(request, tokens, in_body=body.return_tokens)


@routes.put("/api/v1/me/password")
@api(summary="Change the password", body=PasswordBody, status=204, tags=TAGS)
async def change_password(request: web.Request, body: PasswordBody) -> web.StreamResponse:
    auth = request.app[keys.CLIENTS].auth

    async def change(token: str) -> None:
        await auth.change_password(token, current_password=body.current_password,
                                   new_password=body.new_password,
                                   forwarded_for=forwarded_for(request))

    await upstream(request, change)
    return web.Response(status=204)


@routes.post("/api/v1/me/email")
@api(summary="Ask to change the login e-mail (a link goes to the new address)",
     body=EmailBody, response=Accepted, status=202, tags=TAGS)
async def change_email(request: web.Request, body: EmailBody) -> Accepted:
    auth = request.app[keys.CLIENTS].auth

    async def change(token: str) -> None:
        await auth.change_email(token, new_email=body.new_email.strip(),
                                password=body.password, forwarded_for=forwarded_for(request))

    await upstream(request, change)
    return Accepted()


@routes.post("/api/v1/email/confirm")
@api(summary="Confirm the new login e-mail with the e-mailed token (logs in)",
     body=ConfirmBody, response=SessionOut, tags=TAGS, auth=False)
async def confirm_email(request: web.Request, body: ConfirmBody) -> SessionOut:
    tokens = await request.app[keys.CLIENTS].auth.confirm_email(
        body.token, forwarded_for=forwarded_for(request))
    return await _opened(request, tokens, in_body=body.return_tokens)
