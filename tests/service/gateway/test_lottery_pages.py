"""A lottery period through the real stack (issue 13): the parent's planning and reservation
say « en attente du tirage » with the deadline; the agent's draw page counts the requests,
draws only once confirmed, then shows the audit (seed, date, agent) and the results per unit;
a second draw is refused with the service's French words."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import errors_in, staff_account, text_of
from tests.service.gateway.reservations_support import (
    Service,
    Site,
    automatic_day,
    book,
    known_family,
    new_site,
    staff_service,
)

BASE = "/gestion/reservations/periodes"


@pytest.fixture
async def service(stack: Stack) -> Any:
    client = await staff_service(stack)
    try:
        yield client
    finally:
        await client.http.close()


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    account = await staff_account(stack)
    await browser.login(account["email"], account["password"])
    return browser


async def lottery_site(service: Service, deadline: datetime) -> Site:
    site = await new_site(service)
    site.period = await service.call("PATCH", f"/periods/{site.period['id']}", json={
        "allocation": "lottery", "draw_at": deadline.isoformat()})
    return site


async def test_a_lottery_period_is_drawn_once_from_its_page(
        agent: Browser, stack: Stack, service: Service) -> None:
    family = await known_family(stack, "Léa")
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    site = await lottery_site(service, deadline)
    day = automatic_day()
    booked = await book(stack, family, site, "Léa", [(day, "MATIN")])
    assert booked["state"] == "drawing"
    page = f"{BASE}/{site.period['id']}/tirage"

    async with browser_session() as http:
        parent = Browser(http, stack.gateway_url)
        await parent.login(family.email, family.password)
        resp, html = await parent.get(f"/mon-compte/reservations/{booked['number']}")
        assert resp.status == 200
        assert "En attente du tirage au sort" in text_of(html)
        assert "tirées au sort" in text_of(html)

    resp, html = await agent.get(page)
    assert resp.status == 200
    text = text_of(html)
    assert "Demandes en attente du tirage" in text and "1 demande" in text

    await asyncio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.2)
    resp, html = await agent.post_form(page, {})
    assert resp.status == 422
    assert "Cochez la case pour confirmer le tirage" in errors_in(html)["confirm"]
    assert (await service.call("GET", f"/periods/{site.period['id']}/draw"))["draw"] is None

    resp, _ = await agent.post_form(page, {"confirm": "1"})
    assert resp.status == 303
    resp, html = await agent.get(page)
    text = text_of(html)
    assert "Le tirage au sort est fait et enregistré." in text
    record = (await service.call("GET", f"/periods/{site.period['id']}/draw"))["draw"]
    assert record["seed"] in text and "Tirage effectué" in text
    assert "L'ordre se retrouve à l'identique avec la graine enregistrée." in text
    assert booked["number"] in text and "Matin" in text

    resp, html = await agent.post_form(page, {"confirm": "1"})
    assert resp.status == 409
    assert "Le tirage au sort de cette période a déjà eu lieu." in text_of(html)


async def test_a_first_come_period_has_no_draw_to_make(agent: Browser, service: Service
                                                        ) -> None:
    site = await new_site(service)
    resp, html = await agent.get(f"{BASE}/{site.period['id']}/tirage")
    assert resp.status == 200
    assert "il n'y a pas de tirage au sort" in text_of(html)
