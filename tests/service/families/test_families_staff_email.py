"""A family is never opened with the address of a staff account: its agent would become the
family's parent. Families asks auth, which answers with the role of the address's account."""

import uuid

from aiohttp.test_utils import TestServer

from services.auth import repo as auth_repo
from services.common import keys
from tests.service.families.helpers import Families, family_body, staff

STAFF_EMAIL = ("Cette adresse e-mail est celle d'un compte agent du service : elle ne peut pas "
               "être l'adresse d'une famille.")


async def an_account(auth: TestServer, *, role: str) -> str:
    email = f"{role}.{uuid.uuid4().hex[:10]}@example.org"
    async with auth.app[keys.DB].acquire() as conn:
        await auth_repo.insert_account(
            conn, account_id=uuid.uuid4(), email=email, password_hash=None, role=role,
            family_id=uuid.uuid4() if role == "parent" else None, status="active")
    return email


async def test_a_staff_address_is_refused_and_nothing_is_written(
        families: Families, auth: TestServer) -> None:
    for role in ("staff", "admin"):
        email = await an_account(auth, role=role)
        before = await families.counts()
        answer = await families.call("POST", "/families", headers=staff(),
                                     json=family_body(email=email.upper()))
        assert answer.status == 422, answer.body
        assert answer.fields == {"email": STAFF_EMAIL}
        assert await families.counts() == before


async def test_a_parent_account_or_a_new_address_is_accepted(
        families: Families, auth: TestServer) -> None:
    email = await an_account(auth, role="parent")
    assert (await families.new_family(email=email))["email"] == email
    await families.new_family()
