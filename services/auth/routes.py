"""HTTP routes of the auth service: thin handlers, parse → use case → answer."""

import uuid

from aiohttp import web

from services.auth import accounts, keys, service
from services.auth.schemas import (
    Accepted,
    AccountList,
    AccountRole,
    AccountsQuery,
    AccountStatusBody,
    AccountSummary,
    ChangePasswordBody,
    ConfirmedEmail,
    EmailBody,
    EmailChangeBody,
    EmailLink,
    LoginBody,
    Me,
    RefreshBody,
    ResetBody,
    TokenBody,
    TokenInfo,
    Tokens,
)
from services.common import keys as common_keys
from services.common.addresses import client_address
from services.common.api import api
from services.common.errors import NotFound
from services.common.routing import before
from services.common.tokens import principal, require_role, require_staff

routes = web.RouteTableDef()
TAGS = ("auth",)


def _address(request: web.Request) -> str | None:
    return client_address(request, request.app[keys.SETTINGS].trusted_proxies)


async def _session(request: web.Request) -> tuple[uuid.UUID, uuid.UUID]:
    """(account id, session id) of the caller, whose session must still be open."""
    who = principal(request)
    return await service.authenticated(request.app[common_keys.DB], sub=who.sub, sid=who.sid)


@routes.post("/sessions")
@api(summary="Log in", body=LoginBody, response=Tokens, status=201, tags=TAGS, auth=False)
async def login(request: web.Request, body: LoginBody) -> Tokens:
    return await service.login(request.app[keys.CONTEXT], request.app[common_keys.DB],
                               email=body.email, password=body.password,
                               address=_address(request))


@routes.post("/sessions/refresh")
@api(summary="Exchange a refresh token for new tokens", body=RefreshBody, response=Tokens,
     tags=TAGS, auth=False)
async def refresh(request: web.Request, body: RefreshBody) -> Tokens:
    return await service.refresh(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                 refresh_token=body.refresh_token)


@routes.delete("/sessions/current")
@api(summary="Log out (revoke the caller's session)", status=204, tags=TAGS)
async def logout(request: web.Request) -> web.Response:
    who = principal(request)
    await service.logout(request.app[keys.CONTEXT], request.app[common_keys.DB], sid=who.sid)
    return web.Response(status=204)


@routes.get("/me")
@api(summary="The caller's account", response=Me, tags=TAGS)
async def me(request: web.Request) -> Me:
    account_id, _ = await _session(request)
    return await service.me(request.app[common_keys.DB], account_id=account_id)


@routes.put("/me/password")
@api(summary="Change the password", body=ChangePasswordBody, status=204, tags=TAGS)
async def change_password(request: web.Request, body: ChangePasswordBody) -> web.Response:
    account_id, session_id = await _session(request)
    await service.change_password(
        request.app[keys.CONTEXT], request.app[common_keys.DB], account_id=account_id,
        session_id=session_id, current_password=body.current_password,
        new_password=body.new_password, address=_address(request))
    return web.Response(status=204)


@routes.post("/me/email")
@api(summary="Ask to change the login e-mail (a link is sent to the new address)",
     body=EmailChangeBody, response=Accepted, status=202, tags=TAGS)
async def request_email_change(request: web.Request, body: EmailChangeBody) -> Accepted:
    account_id, _ = await _session(request)
    await accounts.request_email_change(
        request.app[keys.CONTEXT], request.app[common_keys.DB], account_id=account_id,
        new_email=str(body.new_email), password=body.password, address=_address(request))
    return Accepted()


@routes.post("/me/email/resend")
@api(summary="Mail the pending login change's link again (the older one dies)",
     response=Accepted, status=202, tags=TAGS)
async def resend_email_link(request: web.Request) -> Accepted:
    account_id, _ = await _session(request)
    await accounts.resend_email_link(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                     account_id=account_id)
    return Accepted()


@routes.delete("/me/email")
@api(summary="Cancel the pending login change (its link dies)", status=204, tags=TAGS)
async def cancel_email_change(request: web.Request) -> web.Response:
    account_id, _ = await _session(request)
    await accounts.cancel_email_change(request.app[common_keys.DB], account_id=account_id)
    return web.Response(status=204)


@routes.post("/email/check")
@api(summary="The address a login-change link would confirm (410 if no longer usable)",
     body=TokenBody, response=EmailLink, tags=TAGS, auth=False)
async def check_email_link(request: web.Request, body: TokenBody) -> EmailLink:
    return EmailLink(email=await accounts.email_link(request.app[common_keys.DB],
                                                     token=body.token))


@routes.post("/email/confirm")
@api(summary="Confirm a new login e-mail from its link (logs in)", body=TokenBody,
     response=ConfirmedEmail, tags=TAGS, auth=False)
async def confirm_email(request: web.Request, body: TokenBody) -> ConfirmedEmail:
    return await accounts.confirm_email(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                        token=body.token)


@routes.post("/password/forgot")
@api(summary="Mail a reset link if the account exists (always 202)", body=EmailBody,
     response=Accepted, status=202, tags=TAGS, auth=False)
async def forgot_password(request: web.Request, body: EmailBody) -> Accepted:
    await service.forgot_password(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                  email=body.email)
    return Accepted()


@routes.post("/password/check")
@api(summary="What a set-password link is for (410 if no longer usable)", body=TokenBody,
     response=TokenInfo, tags=TAGS, auth=False)
async def check_link(request: web.Request, body: TokenBody) -> TokenInfo:
    return await service.check_link(request.app[common_keys.DB], token=body.token)


@routes.post("/password/reset")
@api(summary="Set the password from a reset or invitation link (logs in)", body=ResetBody,
     response=Tokens, tags=TAGS, auth=False)
async def reset_password(request: web.Request, body: ResetBody) -> Tokens:
    return await service.reset_password(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                        token=body.token, password=body.password)


def _staff(request: web.Request) -> None:
    require_staff(request)


@routes.get("/accounts")
@before(_staff)  # refused before the query is read: a parent learns nothing from it
@api(summary="Accounts, by family (staff)", query=AccountsQuery, response=AccountList,
     tags=TAGS)
async def list_accounts(request: web.Request, query: AccountsQuery) -> AccountList:
    require_staff(request)
    await _session(request)
    return await accounts.list_accounts(request.app[common_keys.DB], family_id=query.family_id,
                                        ids=query.id, staff=query.staff)


@routes.post("/accounts/lookup")
@before(_staff)
@api(summary="The role of the account using an e-mail, if any (staff; families checks that a "
             "new family's address is not a staff account's)", body=EmailBody,
     response=AccountRole, tags=TAGS)
async def lookup_account(request: web.Request, body: EmailBody) -> AccountRole:
    # Called by a service with its staff caller's token: the token is checked (signature,
    # expiry, revoked sessions) but not the session row, as in every other service.
    require_staff(request)
    return await accounts.role_of(request.app[common_keys.DB], email=body.email)


def _admin(request: web.Request) -> None:
    require_role(request, "admin")


@routes.put("/accounts/{account_id}/status")
@before(_admin)  # refused before the body is read: a parent learns nothing from it
@api(summary="Disable an account (its sessions closed at once) or enable it again (admin)",
     body=AccountStatusBody, response=AccountSummary, tags=TAGS)
async def set_account_status(request: web.Request, body: AccountStatusBody) -> AccountSummary:
    who = require_role(request, "admin")
    await _session(request)
    try:
        account_id = uuid.UUID(request.match_info["account_id"])
    except ValueError as exc:
        raise NotFound("Compte introuvable.") from exc
    return await accounts.set_disabled(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                       account_id=account_id, disabled=body.disabled,
                                       actor=uuid.UUID(who.sub))


@routes.post("/accounts/{account_id}/invitation")
@api(summary="Mail a new invitation link (staff)", response=Accepted, status=202, tags=TAGS)
async def reissue_invitation(request: web.Request) -> Accepted:
    require_staff(request)
    await _session(request)
    try:
        account_id = uuid.UUID(request.match_info["account_id"])
    except ValueError as exc:
        raise NotFound("Compte introuvable.") from exc
    await accounts.reissue_invitation(request.app[keys.CONTEXT], request.app[common_keys.DB],
                                      account_id=account_id)
    return Accepted()


@routes.get("/.well-known/jwks.json")
async def jwks(request: web.Request) -> web.Response:
    response = web.json_response(request.app[keys.CONTEXT].signer.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
