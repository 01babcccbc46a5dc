"""Hostile values in every free-text field of a family file and of its children, and in a
parent's change request, come out escaped on every page that shows them (parent and staff):
no element, attribute or script of theirs ever reaches the browser."""

import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest

from services.families import service as families_service
from services.families.schemas import ChildCreate, FamilyCreate
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    SETUP,
    bearer,
    child_body,
    families_db,
    family_body,
    staff_account,
)

# Breaks out of an attribute value and of text alike, if anything is left unescaped.
HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
# What an escaped value reads in the HTML, in text and in attribute values alike.
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"


def hostile(tag: str) -> str:
    """A hostile value of at most 60 characters (the shortest free-text limit)."""
    return f"{tag}{HOSTILE}"


class _Markup(HTMLParser):
    """What a browser would build: the elements and attributes of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.injected: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "img" and "src" in names and dict(attrs).get("src") == "x":
            self.injected.append(f"<img> element: {attrs}")
        if any(name.startswith("on") for name in names):
            self.injected.append(f"event handler attribute on <{tag}>: {attrs}")
        if tag == "script" and "src" not in names:
            self.injected.append("inline <script> element")


def assert_escaped(html: str, page: str, tags: set[str]) -> None:
    """No hostile markup on the page, and the values tagged `tags` shown, escaped."""
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert markup.injected == [], f"{page}: {markup.injected}"
    assert "onerror=alert(1)>" not in html, page
    assert "<script>alert(2)" not in html, page
    shown = set(re.findall(r"([A-Z0-9]+)&#34;&gt;" + re.escape(ESCAPED), html))
    assert tags <= shown, f"{page} does not show {sorted(tags - shown)} escaped"


FAMILY = {"NOM", "L1", "L2", "V", "N", "P", "R", "E", "U", "UR", "A", "AR"}
CHILD = {"C", "CN", "S", "D", "AL", "PAI", "DR"}
# What the parent asked to change (shown beside the value in force).
ASKED = {"NOUVEAU", "NL1"}


@pytest.fixture
async def hostile_family(stack: Stack) -> dict[str, Any]:
    """A family file whose every free-text field (its children's too) is hostile."""
    family_id = uuid.uuid4()
    email = stack.new_email("xss")
    word = f"Xss{uuid.uuid4().hex[:8]}"
    account = await stack.create_account(email=email, family_id=family_id)
    contact = {"phone": "06 11 22 33 44"}
    body = family_body(
        f"{word} NOM{HOSTILE}", email,
        address={"line1": hostile("L1"), "line2": hostile("L2"), "postal_code": "34800",
                 "city": hostile("V")},
        guardians=[{"civility": "Madame", "last_name": hostile("N"),
                    "first_name": hostile("P"), "relationship": hostile("R"),
                    "employer": hostile("E"), "phone_mobile": "06 12 34 56 78"}],
        emergency_contacts=[{**contact, "name": hostile("U"), "relationship": hostile("UR")}],
        authorized_pickups=[{**contact, "name": hostile("A"), "relationship": hostile("AR")}],
    )
    async with families_db(stack).acquire() as conn:
        await families_service.create_family(
            conn, body=FamilyCreate.model_validate(body), actor=SETUP, family_id=family_id)
        child = await families_service.create_child(
            conn, family_id=family_id, actor=SETUP, body=ChildCreate.model_validate(child_body(
                hostile("C"), last_name=hostile("CN"), school=hostile("S"), diet="other",
                diet_detail=hostile("D"), allergies=hostile("AL"), pai=True,
                pai_details=hostile("PAI"), doctor_name=hostile("DR"))))
    return {"id": family_id, "word": word, "email": email, "password": account["password"],
            "child_id": child.id}


async def test_parent_and_staff_pages_show_hostile_values_escaped(
        stack: Stack, browser: Browser, hostile_family: dict[str, Any]) -> None:
    family = hostile_family
    login = {"email": family["email"], "password": family["password"]}
    # The parent asks for a change with hostile values: the queue shows old and new.
    headers = await bearer(browser, login)
    resp, request = await browser.api("PATCH", "/api/v1/family", headers=headers, body={
        "name": f"{family['word']} NOUVEAU{HOSTILE}",
        "address": {"line1": hostile("NL1")}})
    assert resp.status == 202, request

    await browser.login(**login)
    child = f"/mon-compte/enfants/{family['child_id']}"
    parent_pages = {
        "/mon-compte": FAMILY - {"V"} | ASKED | {"C", "CN"},
        "/mon-compte/famille": FAMILY | ASKED,
        child: CHILD,
        child + "/modifier": CHILD,
        "/mon-compte/demandes": {"NOM", "L1"} | ASKED,
    }
    for page, tags in parent_pages.items():
        resp, html = await browser.get(page)
        assert resp.status == 200, page
        assert_escaped(html, page, tags)

    async with browser_session() as http:
        agent = Browser(http, browser.base)
        account = await staff_account(stack)
        await agent.login(account["email"], account["password"])
        staff_pages = {
            f"/gestion/familles?q={family['word']}": {"NOM", "V", "C", "CN"},
            f"/gestion/familles/{family['id']}": FAMILY | CHILD - {"S"} | ASKED,
            f"/gestion/demandes?famille={family['id']}": {"NOM", "L1"} | ASKED,
            f"/gestion/demandes/{request['id']}": {"NOM", "L1"} | ASKED,
            f"/gestion/journal?famille={family['id']}": {"NOM", "C", "CN", "L1"} | ASKED,
        }
        for page, tags in staff_pages.items():
            resp, html = await agent.get(page)
            assert resp.status == 200, page
            assert_escaped(html, page, tags)
