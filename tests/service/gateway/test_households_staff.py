"""Separated parents in the back-office (issue 11, point 5): « Rattacher un enfant d'une autre
famille » by exact identity and a reason, the child's households side by side, custody,
« Détacher de ce foyer »; every wrong input a French message and nothing changed."""

import uuid

import pytest

from services.families import change_requests, households
from services.families import service as families_service
from services.families.schemas import ChildCreate, CustodyIn, Decision
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    SETUP,
    Family,
    bearer,
    child_body,
    families_db,
    field_errors,
    form_of,
    new_family,
    staff_account,
    text_of,
)


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    account = await staff_account(stack)
    await browser.login(account["email"], account["password"])
    return browser


@pytest.fixture
async def pair(stack: Stack) -> tuple[Family, Family]:
    """Household A with its child Hugo (a last name of the test's own), household B without."""
    a = await new_family(stack, name=f"Famille Arnal {uuid.uuid4().hex[:6]}")
    b = await new_family(stack, name=f"Famille Bonnet {uuid.uuid4().hex[:6]}",
                         address={"line1": "7 chemin des Vignes", "postal_code": "34150",
                                  "city": "Gignac"})
    async with families_db(stack).acquire() as conn:
        child = await families_service.create_child(
            conn, family_id=a.id, actor=SETUP, body=ChildCreate.model_validate(child_body(
                "Hugo", last_name=f"Arnal{uuid.uuid4().hex[:6]}", birth_date="2017-02-11")))
    a.children["Hugo"] = child.id
    a.children[f"last:{child.last_name}"] = child.id
    return a, b


def last_name_of(family: Family) -> str:
    return next(k for k in family.children if k.startswith("last:")).removeprefix("last:")


async def link_in_db(stack: Stack, a: Family, b: Family) -> uuid.UUID:
    child_id = a.children["Hugo"]
    async with families_db(stack).acquire() as conn:
        await households.link_child(conn, family_id=b.id, child_id=child_id,
                                    reason="Garde partagée",
                                    actor=SETUP)
    return child_id


async def test_an_agent_links_a_child_found_by_its_exact_identity(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    page = f"/gestion/familles/{b.id}/rattacher"
    _, family_page = await agent.get(f"/gestion/familles/{b.id}")
    assert "Rattacher un enfant d'une autre famille" in text_of(family_page)
    last = last_name_of(a)

    resp, html = await agent.get(f"{page}?last_name={last.lower()}&first_name=hugo"
                                 "&birth_date=2017-02-11")

    assert resp.status == 200
    text = text_of(html)
    assert f"Hugo {last}, né(e) le 11 février 2017 — foyer : {a.name}" in text
    assert "12 rue des Oliviers" not in text and a.email not in text  # names only
    form = form_of(html, page)
    assert form["child_id"] == str(a.children["Hugo"])
    resp, _ = await agent.post_form(page, {**form, "reason": "Résidence alternée (jugement)"},
                                    page=f"{page}?last_name={last}&first_name=Hugo"
                                         "&birth_date=2017-02-11")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/gestion/familles/{b.id}"
    _, html = await agent.get(f"/gestion/familles/{b.id}")
    assert "L'enfant est rattaché à cette famille" in text_of(html)
    assert f"Hugo {last}" in text_of(html)
    # B's parent sees Hugo in « Mes enfants ».
    async with browser_session() as http:
        parent_b = Browser(http, stack.gateway_url)
        await parent_b.login(b.email, b.password)
        _, home = await parent_b.get("/mon-compte")
        assert "Hugo" in text_of(home)
        resp, _ = await parent_b.get(f"/mon-compte/enfants/{a.children['Hugo']}")
        assert resp.status == 200


async def test_the_search_needs_the_exact_birth_date(agent: Browser,
                                                      pair: tuple[Family, Family]) -> None:
    a, b = pair
    page = f"/gestion/familles/{b.id}/rattacher"
    last = last_name_of(a)

    _, html = await agent.get(f"{page}?last_name={last}&first_name=Hugo&birth_date=2017-02-12")
    assert "Aucun enfant ne porte exactement ce nom" in text_of(html)
    resp, html = await agent.get(f"{page}?last_name={last}&first_name=Hugo&birth_date=")
    assert resp.status == 422
    assert field_errors(html) == {"birth_date": "Ce champ est obligatoire."}


async def test_linking_without_a_reason_is_refused_in_french_and_changes_nothing(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    page = f"/gestion/familles/{b.id}/rattacher"
    last = last_name_of(a)
    search = f"{page}?last_name={last}&first_name=Hugo&birth_date=2017-02-11"

    resp, html = await agent.post_form(page, {
        "child_id": str(a.children["Hugo"]), "reason": "", "last_name": last,
        "first_name": "Hugo", "birth_date": "2017-02-11"}, page=search)

    assert resp.status == 422
    assert "reason" in field_errors(html)
    async with families_db(stack).acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM child_households WHERE family_id = $1",
                                   b.id) == 0


async def test_a_third_household_is_refused_with_a_french_message(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    child_id = await link_in_db(stack, a, b)
    c = await new_family(stack)
    page = f"/gestion/familles/{c.id}/rattacher"
    last = last_name_of(a)

    resp, html = await agent.post_form(page, {
        "child_id": str(child_id), "reason": "Troisième foyer", "last_name": last,
        "first_name": "Hugo", "birth_date": "2017-02-11"},
        page=f"{page}?last_name={last}&first_name=Hugo&birth_date=2017-02-11")

    assert resp.status == 409
    assert "Cet enfant a déjà deux foyers" in text_of(html)


async def test_the_childs_households_side_by_side_custody_and_unlinking(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    child_id = await link_in_db(stack, a, b)
    page = f"/gestion/enfants/{child_id}"

    resp, html = await agent.get(page)
    assert resp.status == 200
    text = text_of(html)
    assert f"Foyer 1 : {a.name}" in text and f"Foyer 2 : {b.name}" in text
    assert f'href="/gestion/familles/{a.id}"' in html and f'href="/gestion/familles/{b.id}"' in html
    assert "7 chemin des Vignes" not in text and "12 rue des Oliviers" not in text

    # Alternate weeks without saying which household has the even weeks: refused.
    resp, html = await agent.post_form(page + "/garde", {"pattern": "alternate_weeks",
                                                         "even_weeks_family_id": ""}, page=page)
    assert resp.status == 422
    assert "even_weeks_family_id" in field_errors(html)
    resp, _ = await agent.post_form(page + "/garde", {"pattern": "alternate_weeks",
                                                      "even_weeks_family_id": str(b.id)},
                                    page=page)
    assert resp.status == 303
    _, html = await agent.get(page)
    assert f"semaines paires chez {b.name}" in text_of(html)

    unlink = f"{page}/foyers/{b.id}/detacher"
    resp, html = await agent.post_form(unlink, {"reason": ""}, page=page)
    assert resp.status == 422
    resp, _ = await agent.post_form(unlink, {"reason": "Fin de la résidence alternée"},
                                    page=page)
    assert resp.status == 303
    _, html = await agent.get(page)
    text = text_of(html)
    assert "L'enfant est détaché de ce foyer" in text
    assert f"Foyer 1 : {a.name}" in text and "Foyer 2 :" not in text
    assert "détaché de " + b.name + " — motif : Fin de la résidence alternée" in text
    assert "En vigueur : libre" in text


async def test_the_last_household_cannot_be_unlinked(agent: Browser, stack: Stack,
                                                     pair: tuple[Family, Family]) -> None:
    a, _b = pair
    child_id = a.children["Hugo"]

    resp, html = await agent.post_form(f"/gestion/enfants/{child_id}/foyers/{a.id}/detacher",
                                       {"reason": "Essai"}, page=f"/gestion/enfants/{child_id}")

    assert resp.status == 409
    assert "C'est le seul foyer de cet enfant" in text_of(html)


async def test_household_pages_are_forbidden_to_parents(browser: Browser,
                                                        pair: tuple[Family, Family]) -> None:
    a, b = pair
    await browser.login(b.email, b.password)
    for path in (f"/gestion/enfants/{a.children['Hugo']}",
                 f"/gestion/familles/{b.id}/rattacher"):
        resp, _ = await browser.get(path)
        assert resp.status == 403


async def test_a_change_asked_by_one_household_once_approved_is_seen_by_both(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    child_id = await link_in_db(stack, a, b)
    async with browser_session() as http:
        parent_b = Browser(http, stack.gateway_url)
        headers_b = await bearer(parent_b, b.login)
        resp, asked = await parent_b.api("PATCH", f"/api/v1/children/{child_id}",
                                         headers=headers_b, body={"school": "École Voltaire"})
        assert resp.status == 202, asked

    # The same validation queue as any request: the agent sees B's request and approves it.
    _, queue = await agent.get(f"/gestion/demandes?famille={b.id}")
    assert f"Hugo {last_name_of(a)}" in text_of(queue)
    async with families_db(stack).acquire() as conn:
        await change_requests.decide(conn, request_id=uuid.UUID(asked["id"]),
                                     body=Decision(decision="approve"), actor=SETUP)

    for family in (a, b):
        async with browser_session() as http:
            parent = Browser(http, stack.gateway_url)
            headers = await bearer(parent, family.login)
            resp, child = await parent.api("GET", f"/api/v1/children/{child_id}",
                                           headers=headers)
            assert resp.status == 200
            assert child["school"] == "École Voltaire"


async def test_each_parent_sees_the_two_households_and_its_own_weeks(
        stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    child_id = await link_in_db(stack, a, b)
    async with families_db(stack).acquire() as conn:
        await households.set_custody(conn, child_id=child_id, actor=SETUP, body=CustodyIn(
            pattern="alternate_weeks", even_weeks_family_id=b.id))

    for family, weeks in ((a, "impaires"), (b, "paires")):
        async with browser_session() as http:
            parent = Browser(http, stack.gateway_url)
            await parent.login(family.email, family.password)
            _, page = await parent.get(f"/mon-compte/enfants/{child_id}")
            _, home = await parent.get("/mon-compte")
            _, exported = await parent.get("/mon-compte/mes-donnees")
        # The RGPD export speaks French about custody and links too.
        assert '"Garde"' in exported and '"custody"' not in exported
        assert '"reason"' not in exported
        text = text_of(page)
        assert "Deux foyers" in text
        assert f"Les semaines {weeks} sont les vôtres" in text
        assert "par l'autre foyer de l'enfant" in text
        assert f"deux foyers, semaines {weeks} chez vous" in text_of(home)
        other = b if family is a else a
        assert other.name not in text and other.email not in text


async def test_the_journal_tells_links_custody_and_unlinks_in_french(
        agent: Browser, stack: Stack, pair: tuple[Family, Family]) -> None:
    a, b = pair
    child_id = await link_in_db(stack, a, b)
    async with families_db(stack).acquire() as conn:
        await households.set_custody(conn, child_id=child_id, actor=SETUP, body=CustodyIn(
            pattern="alternate_weeks", even_weeks_family_id=a.id))
        await households.unlink_child(conn, family_id=b.id, child_id=child_id,
                                      reason="Fin de la garde alternée", actor=SETUP)

    _, html = await agent.get(f"/gestion/journal?famille={b.id}")

    text = text_of(html)
    for line in ("Enfant d'une autre famille rattaché à ce foyer", "Motif : Garde partagée",
                 "Garde de l'enfant modifiée", "Garde : libre → semaines alternées",
                 "Enfant détaché de ce foyer", "Motif : Fin de la garde alternée"):
        assert line in text, line
