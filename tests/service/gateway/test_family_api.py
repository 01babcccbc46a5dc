"""The family file in the parent JSON API: shapes, 202 change requests, the family taken from
the token, the families service's problems passed through unchanged."""

import uuid
from typing import Any

import pytest

from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser
from tests.service.gateway.family_support import (
    Family,
    bearer,
    child_of,
    file_of,
    new_family,
    requests_of,
    staff_account,
)

PROBLEM = "application/problem+json"


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


@pytest.fixture
async def auth(browser: Browser, family: Family) -> dict[str, str]:
    return await bearer(browser, family.login)


async def test_family_is_the_one_of_the_session(browser: Browser, family: Family,
                                                auth: dict[str, str]) -> None:
    resp, body = await browser.api("GET", "/api/v1/family", headers=auth)
    assert resp.status == 200
    assert body["id"] == str(family.id)
    assert body["name"] == family.name
    assert body["address"]["line1"] == "12 rue des Oliviers"
    assert body["qf"] == 620
    assert body["pending"] == {}


async def test_family_change_is_a_202_change_request_and_the_file_stays_in_force(
        browser: Browser, stack: Stack, family: Family, auth: dict[str, str]) -> None:
    resp, body = await browser.api("PATCH", "/api/v1/family", headers=auth,
                                   body={"address": {"line1": "3 place de la Mairie"}})
    assert resp.status == 202
    assert body["state"] == "pending"
    assert body["target"] == "family"
    assert [(c["field"], c["old"], c["new"]) for c in body["changes"]] == [
        ("address.line1", "12 rue des Oliviers", "3 place de la Mairie")]
    _, file = await browser.api("GET", "/api/v1/family", headers=auth)
    assert file["address"]["line1"] == "12 rue des Oliviers"
    assert file["pending"]["address.line1"]["value"] == "3 place de la Mairie"
    assert (await file_of(stack, family.id))["address_line1"] == "12 rue des Oliviers"


async def test_invalid_change_passes_the_french_field_messages_through_and_writes_nothing(
        browser: Browser, stack: Stack, family: Family, auth: dict[str, str]) -> None:
    resp, problem = await browser.api("PATCH", "/api/v1/family", headers=auth, body={
        "address": {"postal_code": "3480"}, "phone_home": "12"})
    assert resp.status == 422
    assert resp.content_type == PROBLEM
    assert {e["field"]: e["message"] for e in problem["errors"]} == {
        "address.postal_code": "Le code postal doit comporter 5 chiffres.",
        "phone_home": "Numéro de téléphone invalide (10 chiffres, par exemple 06 12 34 56 78).",
    }
    assert await requests_of(stack, family.id) == []


async def test_unchanged_file_is_refused_as_no_change(browser: Browser, stack: Stack,
                                                       family: Family,
                                                       auth: dict[str, str]) -> None:
    resp, problem = await browser.api("PATCH", "/api/v1/family", headers=auth,
                                      body={"name": family.name})
    assert resp.status == 422
    assert problem["title"] == "Aucune modification."
    assert await requests_of(stack, family.id) == []


async def test_the_client_cannot_name_the_family(browser: Browser, stack: Stack,
                                                 family: Family, auth: dict[str, str]) -> None:
    other = await new_family(stack)
    resp, problem = await browser.api("PATCH", "/api/v1/family", headers=auth, body={
        "family_id": str(other.id), "name": "Famille Usurpée"})
    assert resp.status == 422
    assert {"field": "family_id", "message": "Ce champ n'est pas autorisé."} in problem["errors"]
    assert await requests_of(stack, other.id) == []
    assert await requests_of(stack, family.id) == []


async def test_outdated_version_is_a_conflict(browser: Browser, family: Family,
                                              auth: dict[str, str]) -> None:
    resp, problem = await browser.api("PATCH", "/api/v1/family", body={"name": "Autre nom"},
                                      headers={**auth, "If-Match": '"999"'})
    assert resp.status == 409
    assert problem["title"] == ("Ces informations ont été modifiées entre-temps. "
                                "Rechargez la page avant de recommencer.")


async def test_children_answer_the_children_and_those_awaiting_validation(
        browser: Browser, family: Family, auth: dict[str, str]) -> None:
    resp, asked = await browser.api("POST", "/api/v1/children", headers=auth, body={
        "last_name": "Testeur", "first_name": "Jules", "birth_date": "2022-05-06", "sex": "M"})
    assert resp.status == 202
    assert asked["target"] == "new_child" and asked["state"] == "pending"
    resp, body = await browser.api("GET", "/api/v1/children", headers=auth)
    assert resp.status == 200
    assert [c["first_name"] for c in body["items"]] == ["Léa"]
    assert body["items"][0]["allergies"] == "Arachide"  # the family's own health data
    assert [p["values"]["first_name"] for p in body["pending_children"]] == ["Jules"]
    assert body["pending_children"][0]["change_request_id"] == asked["id"]


async def test_child_change_is_a_202_change_request(browser: Browser, stack: Stack,
                                                    family: Family,
                                                    auth: dict[str, str]) -> None:
    child_id = family.children["Léa"]
    resp, body = await browser.api("PATCH", f"/api/v1/children/{child_id}", headers=auth,
                                   body={"school_level": "CE2"})
    assert resp.status == 202
    assert body["target"] == "child" and body["child_id"] == str(child_id)
    assert [(c["field"], c["new"]) for c in body["changes"]] == [("school_level", "CE2")]
    resp, child = await browser.api("GET", f"/api/v1/children/{child_id}", headers=auth)
    assert child["school_level"] == "CE1"
    assert child["pending"]["school_level"]["value"] == "CE2"
    assert (await child_of(stack, family.id, child_id))["school_level"] == "CE1"


async def test_invalid_child_is_refused_with_french_messages_and_nothing_written(
        browser: Browser, stack: Stack, family: Family, auth: dict[str, str]) -> None:
    resp, problem = await browser.api("POST", "/api/v1/children", headers=auth, body={
        "first_name": "Jules", "birth_date": "2090-01-01", "sex": "X"})
    assert resp.status == 422
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert fields["last_name"] == "Ce champ est obligatoire."
    assert fields["birth_date"] == "La date de naissance doit être dans le passé."
    assert fields["sex"] == "Valeur non autorisée (valeurs possibles : « F » ou « M »)."
    assert await requests_of(stack, family.id) == []


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"first_name": "Zoé"})])
async def test_another_family_child_is_not_found(browser: Browser, stack: Stack,
                                                 auth: dict[str, str], method: str,
                                                 body: dict[str, Any] | None) -> None:
    other = await new_family(stack, children=("Zélie",))
    child_id = other.children["Zélie"]
    resp, problem = await browser.api(method, f"/api/v1/children/{child_id}", headers=auth,
                                      body=body)
    assert resp.status == 404
    assert problem["title"] == "Ressource introuvable."
    assert resp.content_type == PROBLEM
    assert await requests_of(stack, other.id) == []
    assert (await child_of(stack, other.id, child_id))["first_name"] == "Zélie"


async def test_a_child_address_that_is_not_an_id_is_not_found(
        browser: Browser, auth: dict[str, str]) -> None:
    resp, _ = await browser.api("PATCH", "/api/v1/children/..%2F..%2Fexport", headers=auth,
                                body={"first_name": "Zoé"})
    assert resp.status == 404


async def test_change_requests_follow_their_state(browser: Browser, family: Family,
                                                  auth: dict[str, str]) -> None:
    await browser.api("PATCH", "/api/v1/family", headers=auth, body={"phone_home": "0467000000"})
    resp, body = await browser.api("GET", "/api/v1/change-requests", headers=auth)
    assert resp.status == 200
    [item] = body["items"]
    assert item["state"] == "pending"
    assert item["changes"][0]["label"] == "Téléphone du domicile"
    assert item["changes"][0]["new"] == "04 67 00 00 00"


async def test_a_pending_request_is_withdrawn_once(browser: Browser, stack: Stack,
                                                   family: Family, auth: dict[str, str]) -> None:
    _, asked = await browser.api("PATCH", "/api/v1/family", headers=auth,
                                 body={"phone_home": "0467000000"})
    path = f"/api/v1/change-requests/{asked['id']}/withdrawal"

    resp, body = await browser.api("POST", path, headers=auth)

    assert resp.status == 200
    assert body["state"] == "withdrawn"
    resp, problem = await browser.api("POST", path, headers=auth)
    assert resp.status == 409
    assert problem["title"] == "Cette demande a déjà été traitée."
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["withdrawn"]


async def test_another_familys_request_cannot_be_withdrawn(browser: Browser, stack: Stack,
                                                           auth: dict[str, str]) -> None:
    other = await new_family(stack)
    other_auth = await bearer(browser, other.login)
    _, asked = await browser.api("PATCH", "/api/v1/family", headers=other_auth,
                                 body={"phone_home": "0467000000"})

    resp, _ = await browser.api("POST", f"/api/v1/change-requests/{asked['id']}/withdrawal",
                                headers=auth)

    assert resp.status == 404
    assert [r["state"] for r in await requests_of(stack, other.id)] == ["pending"]


async def test_staff_are_refused_by_the_parent_api(browser: Browser, stack: Stack) -> None:
    agent = await staff_account(stack)
    headers = await bearer(browser, {"email": agent["email"], "password": agent["password"]})
    resp, problem = await browser.api("GET", "/api/v1/family", headers=headers)
    assert resp.status == 403
    assert problem["title"] == "Cette fonction est réservée aux familles."


async def test_anonymous_caller_is_told_to_log_in_whatever_the_body(browser: Browser) -> None:
    resp, problem = await browser.api("PATCH", "/api/v1/family", body=["not", "an", "object"])
    assert resp.status == 401
    assert problem["title"] == "Veuillez vous connecter."


async def test_body_that_is_not_an_object_is_refused(browser: Browser,
                                                     auth: dict[str, str]) -> None:
    resp, problem = await browser.api("PATCH", "/api/v1/family", headers=auth, body=[1, 2])
    assert resp.status == 422
    assert resp.content_type == PROBLEM
    assert problem["errors"] == [{"field": "_", "message": "Ce champ doit être un objet."}]


async def test_cookie_session_change_needs_the_csrf_header(browser: Browser, stack: Stack,
                                                           family: Family) -> None:
    resp, session = await browser.api("POST", "/api/v1/session", body=family.login)
    assert resp.status == 201
    resp, _ = await browser.api("PATCH", "/api/v1/family", body={"name": "Sans jeton"})
    assert resp.status == 403
    assert await requests_of(stack, family.id) == []
    resp, _ = await browser.api("PATCH", "/api/v1/family", body={"name": "Avec jeton"},
                                headers={"X-CSRF-Token": session["csrf_token"]})
    assert resp.status == 202


async def test_openapi_documents_the_family_calls(browser: Browser) -> None:
    _, doc = await browser.api("GET", "/openapi.json")
    paths = doc["paths"]
    assert set(paths["/api/v1/family"]) == {"get", "patch"}
    assert set(paths["/api/v1/children"]) == {"get", "post"}
    assert set(paths["/api/v1/children/{child_id}"]) == {"get", "patch"}
    assert "get" in paths["/api/v1/change-requests"]
    assert "202" in paths["/api/v1/family"]["patch"]["responses"]


async def test_unknown_child_id_is_not_found(browser: Browser, auth: dict[str, str]) -> None:
    resp, _ = await browser.api("GET", f"/api/v1/children/{uuid.uuid4()}", headers=auth)
    assert resp.status == 404
