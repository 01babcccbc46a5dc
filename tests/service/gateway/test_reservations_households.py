"""Separated parents (issue 11) through the real stack: a household's planning, page and API,
shows the other household's weeks as « Garde de l'autre parent » (not a button, explained in
the legend); once unlinked, the household's planning says why it is refused."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from services.common import keys as common_keys
from services.common.dates import today
from services.reservations.households import service as households
from services.reservations.households.service import NO_LONGER_MEMBER
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import new_family, text_of
from tests.service.gateway.reservations_support import (
    Service,
    known_family,
    new_site,
    staff_service,
)


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


