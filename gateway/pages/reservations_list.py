"""The family's reservations (guide §8): the list with state icons and legend, a reservation's
detail with its back button, and the answers to a waiting-list offer — from the portal, or
from the e-mailed link without a session."""

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from gateway import keys
from gateway.messages import KIND_WORDS, LINE_KINDS, LINE_STATES, RESERVATION_STATES
from gateway.pages.family import parent_family
from gateway.pages.reservations import BASE, NUMBER
from gateway.render import PARENT_HOME, flash, read_form, redirect, render, safe_next
from gateway.security import NO_REFERRER
from gateway.session import upstream
from services.common.errors import (
    BadRequest,
    Conflict,
    Gone,
    NotFound,
    ValidationFailed,
)

routes = web.RouteTableDef()

OFFERS = BASE + "/offres/{line_id}"
PUBLIC_OFFER = "/reservations/offre"
_CURSOR_MAX = 512


def reservation_legend() -> list[tuple[str, str]]:
    """The list's legend: every state's icon and what it means (guide §7: « Voici les icônes
    qui peuvent apparaître à côté de votre réservation »)."""
    return [(icon, f"{label} : {text}") for icon, label, text in RESERVATION_STATES.values()]


def offers_in(reservations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The places offered to the family (lines in state `offered`), with their reservation."""
    found = []
    for reservation in reservations:
        for line in reservation.get("lines") or []:
            if isinstance(line, dict) and line.get("state") == "offered":
                found.append({**line, "reservation": reservation})
    return found


def with_states(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "states": RESERVATION_STATES, "line_states": LINE_STATES,
            "line_kinds": LINE_KINDS, "legend": reservation_legend()}


@routes.get(BASE)
async def reservations_list(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    cursor = request.query.get("suite") or None
    if cursor is not None and len(cursor) > _CURSOR_MAX:
        raise BadRequest("Le lien de pagination est invalide. Revenez à la première page.")
    reservations = request.app[keys.CLIENTS].reservations
    page = await upstream(request, lambda t: reservations.reservations(
        t, family_id, cursor=cursor))
    next_cursor = page.get("next_cursor")
    return render(request, "reservations/list.html", with_states({
        "items": page["items"], "offers": offers_in(page["items"]),
        "next": f"{BASE}?suite={next_cursor}" if isinstance(next_cursor, str) else None,
        "first_page": cursor is None}))


@routes.get(BASE + "/" + NUMBER)
async def reservation_detail(request: web.Request) -> web.StreamResponse:
    family_id = await parent_family(request)
    number = request.match_info["number"]
    reservations = request.app[keys.CLIENTS].reservations
    reservation = await upstream(request, lambda t: reservations.reservation(
        t, family_id, number))
    return render(request, "reservations/detail.html", with_states({
        "reservation": reservation, "offers": offers_in([reservation]),
        "back": safe_next(request.query.get("retour")) or PARENT_HOME}))


@routes.get(BASE + "/" + NUMBER + "/enregistree")
async def done(request: web.Request) -> web.StreamResponse:
    """The final recap: the child, the number, the period, the state, and « Terminer »."""
    family_id = await parent_family(request)
    number = request.match_info["number"]
    reservations = request.app[keys.CLIENTS].reservations
    reservation = await upstream(request, lambda t: reservations.reservation(
        t, family_id, number))
    kind = "cancel" if reservation.get("kind") == "cancel" else "book"
    return render(request, "reservations/done.html", with_states({
        "reservation": reservation, "kind": kind, "words": KIND_WORDS[kind],
        "home": PARENT_HOME}))


def accepting(value: str) -> bool:
    if value not in ("accepter", "refuser"):
        raise BadRequest("Choisissez d'accepter ou de refuser la place.")
    return value == "accepter"


@routes.post(OFFERS)
async def answer_offer(request: web.Request) -> web.StreamResponse:
    """« Accepter la place » / « Refuser la place » from the portal."""
    family_id = await parent_family(request)
    try:
        line_id = uuid.UUID(request.match_info["line_id"])
    except ValueError as exc:
        raise NotFound("Cette page n'existe pas ou n'existe plus.") from exc
    form = await read_form(request, "reponse", "retour")
    accept = accepting(form.values["reponse"])
    reservations = request.app[keys.CLIENTS].reservations
    try:
        await upstream(request, lambda t: reservations.answer_offer(
            t, family_id, line_id, accept=accept))
    except (Conflict, Gone):
        flash(request, "offer_gone")
    else:
        flash(request, "offer_accepted" if accept else "offer_declined")
    return redirect(safe_next(form.values["retour"]) or PARENT_HOME)


@routes.get(PUBLIC_OFFER)
async def public_offer(request: web.Request) -> web.StreamResponse:
    """The e-mailed link: nothing happens until the parent presses a button (a mail scanner
    following the link must not answer for them)."""
    request[NO_REFERRER] = True
    token = request.query.get("jeton", "")
    return render(request, "reservations/offer.html", {"token": token, "result": None,
                                                       "valid": 0 < len(token) <= 512})


@routes.post(PUBLIC_OFFER)
async def public_offer_reply(request: web.Request) -> web.StreamResponse:
    request[NO_REFERRER] = True
    form = await read_form(request, "jeton", "reponse")
    token = form.values["jeton"]
    accept = accepting(form.values["reponse"])
    reservations = request.app[keys.CLIENTS].reservations
    if not 0 < len(token) <= 512:
        return render(request, "reservations/offer.html",
                      {"token": "", "result": "gone", "valid": False}, status=410)
    try:
        answer = await reservations.reply_offer(token, accept=accept)
    except (Gone, NotFound, Conflict, ValidationFailed) as problem:
        # Expired, answered already, or not a link of ours: the same page says so.
        return render(request, "reservations/offer.html", {
            "token": "", "result": "gone", "valid": False, "problem": problem},
            status=problem.status)
    return render(request, "reservations/offer.html", {
        "token": "", "valid": False, "answer": answer,
        "result": "accepted" if accept else "declined"})
