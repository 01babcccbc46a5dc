"""Set-up for the family-file tests: a family of the test's own (its parent's account, its file
and children written through each service's own code), staff accounts, what was recorded."""

import re
import uuid
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from typing import Any

import asyncpg

from services.common import keys as common_keys
from services.families import change_requests
from services.families import repo as families_repo
from services.families import service as families_service
from services.families.schemas import ChildCreate, Decision, FamilyCreate
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser

SETUP = families_service.Actor(sub="test-setup", role="staff")


@dataclass
class Family:
    """A family of the test's own and its parent's active account."""

    id: uuid.UUID
    name: str
    email: str
    password: str
    children: dict[str, uuid.UUID] = field(default_factory=dict)  # first name → id

    @property
    def login(self) -> dict[str, str]:
        return {"email": self.email, "password": self.password}


def family_body(name: str, email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "email": email,
        "address": {"line1": "12 rue des Oliviers", "postal_code": "34800",
                    "city": "Clermont-l'Hérault"},
        "phone_mobile": "06 12 34 56 78",
        "caf_number": "7654321",
        "qf": 620,
        "guardians": [{"civility": "Madame", "last_name": "Testeur", "first_name": "Claire",
                       "relationship": "mère", "phone_mobile": "06 12 34 56 78"}],
    }
    body.update(overrides)
    return body


def child_body(first_name: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "last_name": "Testeur", "first_name": first_name, "birth_date": "2019-03-04",
        "sex": "F", "school": "École Jean Jaurès", "school_level": "CE1",
        "allergies": "Arachide", "pai": True, "pai_details": "Trousse d'urgence",
        "doctor_name": "Docteur Roux", "doctor_phone": "04 67 96 11 11",
        "image_rights_consent": True,
    }
    body.update(overrides)
    return body


def families_db(stack: Stack) -> asyncpg.Pool:
    pool: asyncpg.Pool = stack.app("families")[common_keys.DB]
    return pool


async def new_family(stack: Stack, *, name: str | None = None, children: tuple[str, ...] = (),
                     **overrides: Any) -> Family:
    """A family file and its parent's account. The account is made first, with the family's
    id, so auth links it when the file is created (no invitation sent)."""
    family_id = uuid.uuid4()
    email = stack.new_email("famille")
    name = name or f"Famille Testeur {uuid.uuid4().hex[:6]}"
    account = await stack.create_account(email=email, family_id=family_id)
    found = Family(family_id, name, email, account["password"])
    async with families_db(stack).acquire() as conn:
        await families_service.create_family(
            conn, body=FamilyCreate.model_validate(family_body(name, email, **overrides)),
            actor=SETUP, family_id=family_id)
        for first_name in children:
            child = await families_service.create_child(
                conn, family_id=family_id, actor=SETUP,
                body=ChildCreate.model_validate(child_body(first_name)))
            found.children[first_name] = child.id
    return found


async def staff_account(stack: Stack) -> dict[str, Any]:
    return await stack.create_account(role="staff")


async def requests_of(stack: Stack, family_id: uuid.UUID) -> list[dict[str, Any]]:
    """The family's change requests as recorded, newest first."""
    async with families_db(stack).acquire() as conn:
        rows = await families_repo.family_requests(conn, family_id)
    return [dict(row) for row in rows]


async def file_of(stack: Stack, family_id: uuid.UUID) -> dict[str, Any]:
    async with families_db(stack).acquire() as conn:
        row = await families_repo.get_family(conn, family_id)
    assert row is not None
    return dict(row)


async def child_of(stack: Stack, family_id: uuid.UUID, child_id: uuid.UUID) -> dict[str, Any]:
    async with families_db(stack).acquire() as conn:
        row = await families_repo.get_child(conn, family_id, child_id)
    assert row is not None
    return dict(row)


async def bearer(browser: Browser, login: dict[str, str]) -> dict[str, str]:
    """`Authorization` header of a session opened through the gateway's API (token mode)."""
    resp, body = await browser.api("POST", "/api/v1/session", body={**login, "token": True})
    assert resp.status == 201, body
    return {"Authorization": f"Bearer {body['access_token']}"}


class _FormReader(HTMLParser):
    """The values a browser would submit with the page's form `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "radio":
                if "checked" in a:
                    self.values[name] = a.get("value", "")
                else:
                    self.values.setdefault(name, "")
            elif a.get("type") != "submit":
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values[name] = ""
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_of(html: str, action: str) -> dict[str, str]:
    """The fields of the form posting to `action`, as the page fills them (CSRF included)."""
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.values, f"no form posting to {action}"
    return reader.values


def errors_in(html: str) -> dict[str, str]:
    """field → message of the page's error summary (« Label : message » where it is named)."""
    return {name: unescape(message) for name, message in
            re.findall(r'<a href="#f-([^"]+)">([^<]*)</a>', html)}


def field_errors(html: str) -> dict[str, str]:
    """field → the message shown by the field itself; each is also linked from the summary."""
    found = {name: " ".join(unescape(message).split()) for name, message in re.findall(
        r'<p class="field__error" id="f-([^"]+)-error">\s*<img[^>]*>\s*([^<]*)</p>', html)}
    linked = set(re.findall(r'<a href="#f-([^"]+)">', html))
    assert set(found) <= linked, f"errors not in the summary: {set(found) - linked}"
    return found


def text_of(html: str) -> str:
    """The page's text, tags removed and spaces collapsed (what a reader sees)."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([),.])", r"\1", text)


async def decide(stack: Stack, request_id: uuid.UUID, decision: str,
                 comment: str | None = None) -> None:
    """Staff's decision, taken through the families service's own code (set-up)."""
    async with families_db(stack).acquire() as conn:
        await change_requests.decide(conn, request_id=request_id, actor=SETUP,
                                     body=Decision(decision=decision, comment=comment))
