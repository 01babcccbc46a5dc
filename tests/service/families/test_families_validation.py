"""Bad input: 422 problem+json with a French message per field, and nothing written."""

from datetime import date, timedelta
from typing import Any

import pytest

from services.common.errors import PROBLEM_JSON
from tests.service.families.helpers import (
    Families,
    child_body,
    family_body,
    parent,
    staff,
)

PHONE = "Numéro de téléphone invalide (10 chiffres, par exemple 06 12 34 56 78)."
NOT_ALLOWED = "Ce champ n'est pas autorisé."
ADDRESS = {"line1": "1 rue A", "postal_code": "34800", "city": "Clermont-l'Hérault"}

CREATE_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"address": {**ADDRESS, "postal_code": "3480"}},
     {"address.postal_code": "Le code postal doit comporter 5 chiffres."}),
    ({"phone_mobile": "12 34"}, {"phone_mobile": PHONE}),
    ({"email": "pas-une-adresse"}, {"email": "Adresse e-mail invalide."}),
    ({"name": "x" * 101}, {"name": "Ce champ doit contenir au plus 100 caractères."}),
    ({"name": "   "}, {"name": "Ce champ est obligatoire."}),
    ({"qf": -1}, {"qf": "La valeur doit être supérieure ou égale à 0."}),
    ({"caf_number": "12AB"},
     {"caf_number": "Le numéro d'allocataire CAF ne doit contenir que des chiffres (10 au plus)."}),
    ({"guardians": [{"civility": "Mlle", "last_name": "A", "first_name": "B",
                     "relationship": "mère"}] * 3},
     {"guardians": "Cette liste doit contenir au plus 2 éléments."}),
    ({"guardians": [{"civility": "Mlle", "last_name": "A", "first_name": "B",
                     "relationship": "mère"}]},
     {"guardians.0.civility":
      "Valeur non autorisée (valeurs possibles : « Madame » ou « Monsieur »)."}),
    ({"emergency_contacts": [{"name": "Anne", "relationship": "tante", "phone": "0"}]},
     {"emergency_contacts.0.phone": PHONE}),
    ({"role": "admin"}, {"role": NOT_ALLOWED}),
]

PATCH_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"name": None}, {"name": "Ce champ ne peut pas être vide."}),
    ({"address": {"city": None}}, {"address.city": "Ce champ ne peut pas être vide."}),
    ({"address": {"postal_code": "ABCDE"}},
     {"address.postal_code": "Le code postal doit comporter 5 chiffres."}),
    # The QF is set by staff, the e-mail follows the login: a parent changes neither here.
    ({"qf": 100}, {"qf": NOT_ALLOWED}),
    ({"email": "autre@example.org"}, {"email": NOT_ALLOWED}),
    ({"phone_work": "+44 20 7946 0958"}, {"phone_work": PHONE}),
]


def _years_ago(years: int) -> str:
    today = date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


CHILD_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"birth_date": (date.today() + timedelta(days=30)).isoformat()},
     {"birth_date": "La date de naissance doit être dans le passé."}),
    ({"birth_date": _years_ago(19)}, {"birth_date": "L'enfant doit avoir moins de 18 ans."}),
    ({"birth_date": "14/03/2019"},
     {"birth_date": "Date invalide (format attendu : AAAA-MM-JJ)."}),
    ({"sex": "X"}, {"sex": "Valeur non autorisée (valeurs possibles : « F » ou « M »)."}),
    ({"diet": "other", "diet_detail": None},
     {"diet_detail": "Précisez le régime alimentaire lorsque « autre » est choisi."}),
    ({"allergies": "a" * 2001}, {"allergies": "Ce champ doit contenir au plus 2000 caractères."}),
    ({"pai": "peut-être"}, {"pai": "Ce champ doit valoir oui ou non."}),
    ({"doctor_phone": "123"}, {"doctor_phone": PHONE}),
]


def assert_problem(answer: Any, expected: dict[str, str]) -> None:
    assert answer.status == 422
    assert answer.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert answer.body["type"] == "/problems/validation"
    assert answer.fields == expected


@pytest.fixture(scope="module")
async def family(families: Families) -> dict[str, Any]:
    family = await families.new_family()
    family["child"] = await families.new_child(family["id"])
    return family


@pytest.mark.parametrize(("change", "expected"), CREATE_CASES)
async def test_opening_a_family_with_bad_input_writes_nothing(
        families: Families, change: dict[str, Any], expected: dict[str, str]) -> None:
    before = await families.counts()

    answer = await families.call("POST", "/families", headers=staff(), json=family_body(**change))

    assert_problem(answer, expected)
    assert await families.counts() == before


@pytest.mark.parametrize(("change", "expected"), PATCH_CASES)
async def test_a_parent_change_with_bad_input_writes_nothing(
        families: Families, family: dict[str, Any], change: dict[str, Any],
        expected: dict[str, str]) -> None:
    before = await families.counts()

    answer = await families.call("PATCH", f"/families/{family['id']}",
                                 headers=parent(family["id"]), json=change)

    assert_problem(answer, expected)
    assert await families.counts() == before


@pytest.mark.parametrize(("change", "expected"), CHILD_CASES)
async def test_a_new_child_with_bad_input_writes_nothing(
        families: Families, family: dict[str, Any], change: dict[str, Any],
        expected: dict[str, str]) -> None:
    before = await families.counts()

    answer = await families.call("POST", f"/families/{family['id']}/children",
                                 headers=parent(family["id"]), json=child_body(**change))

    assert_problem(answer, expected)
    assert await families.counts() == before


@pytest.mark.parametrize(("change", "expected"), CHILD_CASES)
async def test_a_child_change_with_bad_input_writes_nothing(
        families: Families, family: dict[str, Any], change: dict[str, Any],
        expected: dict[str, str]) -> None:
    before = await families.counts()

    answer = await families.call(
        "PATCH", f"/families/{family['id']}/children/{family['child']['id']}",
        headers=parent(family["id"]), json=change)

    assert_problem(answer, expected)
    assert await families.counts() == before


async def test_staff_edits_are_validated_the_same_way(families: Families,
                                                      family: dict[str, Any]) -> None:
    before = await families.counts()

    answer = await families.call(
        "PATCH", f"/families/{family['id']}/children/{family['child']['id']}",
        headers=staff(), json={"diet": "other"})

    assert_problem(answer, {
        "diet_detail": "Précisez le régime alimentaire lorsque « autre » est choisi."})
    assert await families.counts() == before


async def test_a_quotient_familial_must_be_a_whole_number(families: Families,
                                                          family: dict[str, Any]) -> None:
    before = await families.counts()

    answer = await families.call("PUT", f"/families/{family['id']}/qf", headers=staff(),
                                 json={"qf": "beaucoup"})

    assert_problem(answer, {"qf": "Ce champ doit être un nombre entier."})
    assert await families.counts() == before


async def test_a_decision_must_be_approve_or_reject(families: Families,
                                                   family: dict[str, Any]) -> None:
    request = (await families.call("PATCH", f"/families/{family['id']}",
                                   headers=parent(family["id"]), json={"name": "Famille W"})).body
    before = await families.counts()

    answer = await families.decide(request["id"], "maybe")

    assert_problem(answer, {
        "decision": "Valeur non autorisée (valeurs possibles : « approve » ou « reject »)."})
    assert await families.counts() == before


async def test_an_email_already_used_by_a_family_is_refused(families: Families) -> None:
    first = await families.new_family()
    before = await families.counts()

    answer = await families.call("POST", "/families", headers=staff(),
                                 json=family_body(email=first["email"].upper()))

    assert_problem(answer, {"email": "Une famille utilise déjà cette adresse e-mail."})
    assert await families.counts() == before


async def test_a_body_that_is_not_json_is_refused(families: Families,
                                                  family: dict[str, Any]) -> None:
    async with families.http.patch(families.server.make_url(f"/families/{family['id']}"),
                                   data=b"{pas du json", headers={
                                       **parent(family["id"]),
                                       "Content-Type": "application/json"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["title"] == "Le corps de la demande n'est pas un JSON valide."


async def test_phones_and_emails_are_normalised(families: Families) -> None:
    family = await families.new_family(phone_mobile="+33 6 12 34 56 78",
                                       phone_work="0033.4.67.00.00.00",
                                       email="  Famille.Test.X1@Example.ORG ")

    assert (family["phone_mobile"], family["phone_work"]) == ("06 12 34 56 78",
                                                              "04 67 00 00 00")
    assert family["email"] == "famille.test.x1@example.org"
