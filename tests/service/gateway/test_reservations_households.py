"""Separated parents (issue 11) through the real stack: a household's planning, page and API,
shows the other household's weeks as « Garde de l'autre parent » (not a button, explained in
the legend); once unlinked, the household's planning says why it is refused. And the whole
path: staff link, set custody and unlink in the families service, reservations follows by the
events, each household books on its own weeks, and what the unlinked one booked stays its own."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from services.common import keys as common_keys
from services.common.dates import today
from services.families import households as families_households
from services.families.schemas import CustodyIn
from services.reservations.households import service as households
from services.reservations.households.service import NO_LONGER_MEMBER
from services.reservations.planning.board import OTHER_CUSTODY
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    SETUP,
    Family,
    bearer,
    families_db,
    new_family,
    text_of,
)
from tests.service.gateway.reservations_support import (
    Service,
    book,
    known_family,
    new_site,
    staff_service,
)
from tests.support import eventually


@pytest.fixture(scope="module")
async def service(stack: Stack) -> AsyncIterator[Service]:
    client = await staff_service(stack)
    try:
        yield client
    finally:
        await client.http.close()


def week_days(even: bool) -> list[date]:
    """Monday to Friday of the first week 8 days ahead or later whose ISO number is even (or
    odd): booked at once, inside the test period."""
    monday = today() + timedelta(days=8)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    if (monday.isocalendar().week % 2 == 0) != even:
        monday += timedelta(days=7)
    return [monday + timedelta(days=i) for i in range(5)]


async def test_the_other_parents_weeks_are_marked_then_an_unlinked_household_is_told_why(
        stack: Stack, service: Service) -> None:
    site = await new_site(service)
    mother = await known_family(stack, "Noé")
    father = await new_family(stack)
    child_id = mother.children["Noé"]
    pool = stack.app("reservations")[common_keys.DB]
    async with pool.acquire() as conn:  # what the families' child_linked brings
        await households.apply_child(
            conn, child_id=child_id, family_id=mother.id, first_name="Noé",
            last_name="Testeur", birth_date=date(2019, 3, 4), school_level="CE1",
            version=100, family_ids=[mother.id, father.id], custody_pattern="alternate_weeks",
            even_weeks_family_id=mother.id)
    mothers, fathers = week_days(even=True), week_days(even=False)
    month = f"{mothers[0]:%Y-%m}"
    query = f"enfant={child_id}&periode={site.period['id']}&mois={month}"

    async with browser_session() as http:
        browser = Browser(http, stack.gateway_url)
        await browser.login(father.email, father.password)
        resp, body = await browser.api(
            "GET", f"/api/v1/planning?child_id={child_id}&period_id={site.period['id']}"
                   f"&month={month}")
        assert resp.status == 200, body
        states = states_by_day(body)
        assert all(states[d] == {"other_custody"} for d in mothers if d in states)
        assert all(states[d] == {"available"} for d in fathers if d in states)
        marked = [d for d, s in states.items() if s == {"other_custody"}]
        assert {d.isocalendar().week % 2 for d in marked} == {0}
        resp, html = await browser.get(f"/mon-compte/reservations/nouvelle/planning?{query}")
        assert resp.status == 200
        assert html.count('<td class="c c--other_custody">') == 2 * len(marked)
        assert ("Garde de l'autre parent : en semaines alternées, ce jour est dans une semaine "
                "de l'autre parent" in text_of(html))

        async with pool.acquire() as conn:  # what the families' child_unlinked brings
            await households.apply_unlinked(conn, child_id=child_id, family_ids=[mother.id],
                                            version=101)
        resp, html = await browser.get(f"/mon-compte/reservations/nouvelle/planning?{query}")
        assert resp.status == 403
        assert NO_LONGER_MEMBER in text_of(html)


def states_by_day(planning: dict[str, Any]) -> dict[date, set[str]]:
    return {date.fromisoformat(d["date"]): {c["state"] for c in d["cells"]}
            for d in planning["days"] if d["offered"]}




async def memberships(stack: Stack, child_id: Any) -> dict[Any, bool]:
    """The reservations read model's households of the child → current or ended."""
    async with stack.app("reservations")[common_keys.DB].acquire() as conn:
        rows = await conn.fetch("SELECT family_id, ended_at IS NULL AS current "
                                "FROM memberships WHERE child_id = $1", child_id)
    return {r["family_id"]: r["current"] for r in rows}


async def parent_call(stack: Stack, family: Family, method: str, path: str,
                      json: Any = None) -> tuple[int, Any]:
    async with browser_session() as http:
        headers = await bearer(Browser(http, stack.gateway_url), family.login)
        async with http.request(method, stack.url("reservations") + path, json=json,
                                headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


async def test_staff_link_custody_and_unlink_in_families_drive_the_bookings(
        stack: Stack, service: Service) -> None:
    site = await new_site(service)
    mother = await known_family(stack, "Léo")
    father = await new_family(stack)
    child_id = mother.children["Léo"]
    father.children["Léo"] = child_id
    async with families_db(stack).acquire() as conn:
        await families_households.link_child(conn, family_id=father.id, child_id=child_id,
                                             reason="Garde partagée", actor=SETUP)
        await families_households.set_custody(
            conn, child_id=child_id, actor=SETUP,
            body=CustodyIn(pattern="alternate_weeks", even_weeks_family_id=mother.id))
    await eventually(lambda: _custody_is(stack, child_id, "alternate_weeks"))
    assert await memberships(stack, child_id) == {mother.id: True, father.id: True}
    mothers, fathers = week_days(even=True), week_days(even=False)

    mine = await book(stack, mother, site, "Léo", [(mothers[0], "MATIN")])
    his = await book(stack, father, site, "Léo", [(fathers[0], "MATIN")])
    status, refused = await parent_call(
        stack, father, "POST", f"/families/{father.id}/reservations", json={
            "child_id": str(child_id), "period_id": site.period["id"], "kind": "book",
            "lines": [{"date": mothers[1].isoformat(), "unit_id": site.unit("MATIN")}]})

    assert (mine["state"], his["state"]) == ("accepted", "accepted")
    assert status == 422
    assert refused["errors"][0]["message"].endswith(OTHER_CUSTODY)

    async with families_db(stack).acquire() as conn:
        await families_households.unlink_child(conn, family_id=father.id, child_id=child_id,
                                               reason="Fin de la garde partagée", actor=SETUP)
    await eventually(lambda: _ended(stack, child_id, father.id))
    status, planning = await parent_call(
        stack, father, "GET", f"/families/{father.id}/planning?child_id={child_id}"
                              f"&period_id={site.period['id']}")
    assert (status, planning["title"]) == (403, NO_LONGER_MEMBER)
    status, history = await parent_call(stack, father, "GET",
                                        f"/families/{father.id}/reservations")
    assert [r["number"] for r in history["items"]] == [his["number"]]
    # Alone now (custody back to « libre »), the mother books the father's former week.
    again = await book(stack, mother, site, "Léo", [(fathers[1], "MATIN")])
    assert again["state"] == "accepted"


async def _custody_is(stack: Stack, child_id: Any, pattern: str) -> bool:
    async with stack.app("reservations")[common_keys.DB].acquire() as conn:
        found = await conn.fetchval("SELECT custody_pattern FROM children WHERE id = $1",
                                    child_id)
    return bool(found == pattern)


async def _ended(stack: Stack, child_id: Any, family_id: Any) -> bool:
    return (await memberships(stack, child_id)).get(family_id) is False
