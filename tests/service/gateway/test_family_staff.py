"""The staff back-office `/gestion` over HTTP: access, families, creation and invitation, QF,
the validation queue (old and new side by side, conflicts), decisions, the audit trail."""

import re
import uuid
from typing import Any

import pytest

from services.common import keys as common_keys
from services.families import repo as families_repo
from services.families import service as families_service
from services.families.schemas import FamilyPatch, QfUpdate
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import (
    SETUP,
    Family,
    bearer,
    families_db,
    field_errors,
    file_of,
    form_of,
    new_family,
    requests_of,
    staff_account,
    text_of,
)

STAFF_PAGES = ["/gestion", "/gestion/familles", "/gestion/familles/nouvelle",
               "/gestion/demandes", "/gestion/journal", "/gestion/comptes"]


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    """A staff member, logged in."""
    account = await staff_account(stack)
    await browser.login(account["email"], account["password"])
    return browser


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


async def parent_asks(stack: Stack, family: Family, body: dict[str, Any]) -> uuid.UUID:
    """The family's parent proposes a change (through the gateway's API); its request id."""
    async with browser_session() as http:
        browser = Browser(http, stack.gateway_url)
        headers = await bearer(browser, family.login)
        resp, request = await browser.api("PATCH", "/api/v1/family", headers=headers, body=body)
        assert resp.status == 202, request
        return uuid.UUID(request["id"])


def pending_count(html: str) -> int:
    found = re.search(r'Demandes à valider <span class="count">\((\d+)\)</span>', html)
    assert found, "no count of requests in the navigation"
    return int(found.group(1))


# ---- access -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [*STAFF_PAGES, f"/gestion/familles/{uuid.uuid4()}"])
async def test_staff_pages_are_forbidden_to_parents(browser: Browser, family: Family,
                                                    path: str) -> None:
    await browser.login(family.email, family.password)
    resp, html = await browser.get(path)
    assert resp.status == 403
    assert "Cet espace est réservé aux agents du service." in text_of(html)


@pytest.mark.parametrize("path", STAFF_PAGES)
async def test_staff_pages_send_visitors_to_the_login_page(browser: Browser, path: str) -> None:
    resp, _ = await browser.get(path)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/connexion?next=%2Fgestion")


async def test_staff_forms_are_refused_to_parents(browser: Browser, stack: Stack,
                                                  family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Autre"})
    await browser.login(family.email, family.password)
    csrf = await browser.csrf("/mon-compte/famille")
    resp, _ = await browser.post_form(f"/gestion/demandes/{request_id}/decision",
                                      {"decision": "approve", "comment": ""}, csrf=csrf)
    assert resp.status == 403
    resp, _ = await browser.post_form(f"/gestion/familles/{family.id}/qf", {"qf": "1"},
                                      csrf=csrf)
    assert resp.status == 403
    assert (await file_of(stack, family.id))["qf"] == 620
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["pending"]


async def test_navigation_counts_the_requests_to_validate(agent: Browser, stack: Stack,
                                                         family: Family) -> None:
    _, html = await agent.get("/gestion")
    before = pending_count(html)
    await parent_asks(stack, family, {"name": "Famille Renommée"})
    _, html = await agent.get("/gestion/familles")
    assert pending_count(html) == before + 1
    assert 'aria-current="page">Familles' in html


# ---- families -----------------------------------------------------------------------------------

async def test_search_finds_a_family_by_its_child_first_name(agent: Browser,
                                                             stack: Stack) -> None:
    first_name = "Prénom" + uuid.uuid4().hex[:6]
    found = await new_family(stack, children=(first_name,))
    resp, html = await agent.get(f"/gestion/familles?q={first_name}")
    assert resp.status == 200
    assert f'href="/gestion/familles/{found.id}"' in html
    assert f"1 famille pour « {first_name} »." in text_of(html)


async def test_search_results_are_paginated(agent: Browser, stack: Stack) -> None:
    word = "Pagination" + uuid.uuid4().hex[:6]
    for index in range(21):
        await new_family(stack, name=f"Famille {word} {index:02d}")
    _, html = await agent.get(f"/gestion/familles?q={word}")
    assert "21 familles pour" in text_of(html)
    assert html.count(f"Famille {word}") == 20
    assert 'rel="prev"' not in html
    link = re.search(r'<a href="([^"]+)" rel="next">Page suivante</a>', html)
    assert link
    _, second = await agent.get(link.group(1).replace("&amp;", "&"))
    assert second.count(f"Famille {word}") == 1
    assert 'rel="next"' not in second
    back = re.search(r'<a href="([^"]+)" rel="prev">Page précédente</a>', second)
    assert back
    _, again = await agent.get(back.group(1).replace("&amp;", "&"))
    assert again.count(f"Famille {word}") == 20


async def test_too_long_search_is_said_by_the_search_box(agent: Browser) -> None:
    resp, html = await agent.get("/gestion/familles?q=" + "a" * 101)
    assert resp.status == 422
    assert field_errors(html) == {"q": "Ce champ doit contenir au plus 100 caractères."}


async def test_family_page_shows_the_file_children_health_flags_and_account(
        agent: Browser, family: Family) -> None:
    resp, html = await agent.get(f"/gestion/familles/{family.id}")
    assert resp.status == 200
    text = text_of(html)
    assert family.name in text
    assert "12 rue des Oliviers" in text
    assert "Léa Testeur" in text and "PAI" in text and "Allergies : Arachide" in text
    assert family.email in text and "Compte activé" in text
    assert "Renvoyer l'invitation" not in text


async def test_unknown_family_is_a_page_not_found(agent: Browser) -> None:
    resp, _ = await agent.get(f"/gestion/familles/{uuid.uuid4()}")
    assert resp.status == 404


async def test_creating_a_family_invites_its_parent_by_email(agent: Browser,
                                                             stack: Stack) -> None:
    email = stack.new_email("nouvelle")
    resp, _ = await agent.post_form("/gestion/familles/nouvelle", {
        "email": email, "name": "Famille Nouvelle", "address.line1": "1 rue Haute",
        "address.postal_code": "34800", "address.city": "Clermont-l'Hérault", "qf": "450",
        "guardians.0.civility": "Madame", "guardians.0.last_name": "Nouvelle",
        "guardians.0.first_name": "Inès", "guardians.0.relationship": "mère"})
    assert resp.status == 303
    location = resp.headers["Location"]
    assert re.fullmatch(r"/gestion/familles/[0-9a-f-]{36}", location)
    mail = await stack.mail_to(email)
    assert mail["Subject"] == "Bienvenue sur le Portail Famille : choisissez votre mot de passe"
    assert "bienvenue=1" in stack.link_in(mail)
    _, html = await agent.get(location)
    text = text_of(html)
    assert "La famille a été créée." in text
    assert "QF en vigueur : 450" in text
    assert "Madame Inès Nouvelle (mère)" in text


async def test_created_family_account_shows_the_invitation_and_it_can_be_sent_again(
        agent: Browser, stack: Stack) -> None:
    email = stack.new_email("invitee")
    resp, _ = await agent.post_form("/gestion/familles/nouvelle", {
        "email": email, "name": "Famille Invitée", "address.line1": "1 rue Basse",
        "address.postal_code": "34800", "address.city": "Clermont-l'Hérault"})
    location = resp.headers["Location"]
    await stack.mail_to(email)
    _, html = await agent.get(location)
    assert "Invitation envoyée, mot de passe pas encore choisi" in text_of(html)
    action = re.search(r'action="(/gestion/familles/[^"]+/invitation)"', html)
    assert action
    resp, _ = await agent.post_form(action.group(1), {}, page=location)
    assert resp.status == 303
    await stack.mail_to(email, count=2)
    _, html = await agent.get(location)
    assert "Une nouvelle invitation a été envoyée par e-mail." in text_of(html)


async def test_creating_a_family_shows_the_service_refusals_by_the_fields(
        agent: Browser, family: Family) -> None:
    resp, html = await agent.post_form("/gestion/familles/nouvelle", {
        "email": family.email, "name": "Famille Doublon", "address.line1": "1 rue Haute",
        "address.postal_code": "348", "address.city": "Clermont-l'Hérault"})
    assert resp.status == 422
    assert field_errors(html) == {
        "address.postal_code": "Le code postal doit comporter 5 chiffres."}
    resp, html = await agent.post_form("/gestion/familles/nouvelle", {
        "email": family.email, "name": "Famille Doublon", "address.line1": "1 rue Haute",
        "address.postal_code": "34800", "address.city": "Clermont-l'Hérault"})
    assert resp.status == 422
    assert field_errors(html) == {"email": "Une famille utilise déjà cette adresse e-mail."}
    assert form_of(html, "/gestion/familles/nouvelle")["name"] == "Famille Doublon"


async def test_creating_a_family_with_a_staff_address_is_refused_by_its_field(
        agent: Browser, stack: Stack) -> None:
    colleague = await staff_account(stack)
    resp, html = await agent.post_form("/gestion/familles/nouvelle", {
        "email": colleague["email"], "name": "Famille Agent", "address.line1": "1 rue Haute",
        "address.postal_code": "34800", "address.city": "Clermont-l'Hérault"})
    assert resp.status == 422
    assert field_errors(html) == {"email": "Cette adresse e-mail est celle d'un compte agent du "
                                        "service : elle ne peut pas être l'adresse d'une "
                                        "famille."}
    async with families_db(stack).acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM families WHERE email = $1",
                                   colleague["email"]) == 0


async def test_create_form_without_csrf_creates_nothing(agent: Browser, stack: Stack) -> None:
    name = "Famille " + uuid.uuid4().hex[:8]
    resp, _ = await agent.post_form("/gestion/familles/nouvelle", {
        "email": stack.new_email(), "name": name, "address.line1": "1 rue Haute",
        "address.postal_code": "34800", "address.city": "Clermont"}, csrf=None)
    assert resp.status == 403
    _, html = await agent.get(f"/gestion/familles?q={name}")
    assert "Aucune famille pour" in text_of(html)


async def test_quotient_familial_is_set_with_a_comment_kept_in_the_journal(
        agent: Browser, stack: Stack, family: Family) -> None:
    page = f"/gestion/familles/{family.id}"
    resp, _ = await agent.post_form(f"{page}/qf", {"qf": "910", "comment": "Attestation 2027"},
                                    page=page)
    assert resp.status == 303
    assert (await file_of(stack, family.id))["qf"] == 910
    _, html = await agent.get(page)
    assert "Le quotient familial a été enregistré." in text_of(html)
    _, html = await agent.get(f"/gestion/journal?famille={family.id}")
    text = text_of(html)
    # Who acted is named by their login when they have no display name, looked up in auth.
    assert re.search(r"Quotient familial modifié staff\.[\w.]+@example\.org Agent", text)
    assert "620 → 910 Commentaire : Attestation 2027" in text


async def test_invalid_quotient_familial_is_refused_by_its_field(agent: Browser, stack: Stack,
                                                                 family: Family) -> None:
    page = f"/gestion/familles/{family.id}"
    resp, html = await agent.post_form(f"{page}/qf", {"qf": "beaucoup"}, page=page)
    assert resp.status == 422
    assert field_errors(html) == {"qf": "Ce champ doit être un nombre entier."}
    assert (await file_of(stack, family.id))["qf"] == 620


# ---- validation queue ---------------------------------------------------------------------------

async def test_queue_shows_the_value_in_force_beside_the_value_asked(
        agent: Browser, stack: Stack, family: Family) -> None:
    await parent_asks(stack, family, {"address": {"line1": "3 place de la Mairie"}})
    resp, html = await agent.get(f"/gestion/demandes?famille={family.id}")
    assert resp.status == 200
    text = text_of(html)
    assert f"{family.name} — Informations de la famille" in text
    assert ("Information Valeur actuelle Valeur demandée Adresse 12 rue des Oliviers "
            "3 place de la Mairie") in text
    assert "Les informations ont changé depuis la demande" not in text


async def test_approving_applies_the_change(agent: Browser, stack: Stack,
                                            family: Family) -> None:
    request_id = await parent_asks(stack, family, {"address": {"line1": "3 place de la Mairie"}})
    queue = f"/gestion/demandes?famille={family.id}"
    resp, _ = await agent.post_form(f"/gestion/demandes/{request_id}/decision", {
        "decision": "approve", "comment": "", "retour": queue}, page=queue)
    assert resp.status == 303
    assert resp.headers["Location"] == queue
    assert (await file_of(stack, family.id))["address_line1"] == "3 place de la Mairie"
    _, html = await agent.get(queue)
    assert "La demande a été acceptée" in text_of(html)
    assert "Aucune demande n'attend de validation." in text_of(html)


async def test_rejecting_without_a_comment_shows_the_service_message(
        agent: Browser, stack: Stack, family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Refusée"})
    resp, html = await agent.post_form(f"/gestion/demandes/{request_id}/decision", {
        "decision": "reject", "comment": " "}, page="/gestion/demandes")
    assert resp.status == 422
    assert field_errors(html) == {
        "comment": "Un commentaire est obligatoire pour refuser une demande."}
    assert 'id="f-comment-error"' in html
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["pending"]


async def test_rejecting_with_a_comment_leaves_the_file_and_tells_the_family(
        agent: Browser, stack: Stack, family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Refusée"})
    # A refusal is said again before it is sent (issue 10, point 12): nothing decided yet.
    resp, html = await agent.post_form(f"/gestion/demandes/{request_id}/decision", {
        "decision": "reject", "comment": "Merci de passer au service."},
        page="/gestion/demandes")
    assert resp.status == 200
    assert "Confirmer le refus" in text_of(html) and "Annuler, ne rien envoyer" in text_of(html)
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["pending"]
    confirm = form_of(html, f"/gestion/demandes/{request_id}/decision")
    assert confirm["confirme"] == "oui" and confirm["comment"] == "Merci de passer au service."
    resp, _ = await agent.post_form(f"/gestion/demandes/{request_id}/decision", confirm,
                                    csrf=confirm["csrf"])
    assert resp.status == 303
    assert (await file_of(stack, family.id))["name"] == family.name
    [request] = await requests_of(stack, family.id)
    assert request["state"] == "rejected"
    assert request["comment"] == "Merci de passer au service."
    mail = await stack.mail_to(family.email)
    assert mail["Subject"] == "Votre demande de modification n'a pas été acceptée"


async def test_a_ready_made_reason_is_what_the_family_reads(
        agent: Browser, stack: Stack, family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Motif"})
    _, html = await agent.get("/gestion/demandes")
    assert "Merci de nous transmettre un justificatif de cette modification." in html
    resp, html = await agent.post_form(f"/gestion/demandes/{request_id}/decision", {
        "decision": "reject", "motif": "justificatif", "comment": "Avis CAF de 2027."},
        page="/gestion/demandes")
    assert resp.status == 200
    confirm = form_of(html, f"/gestion/demandes/{request_id}/decision")
    resp, _ = await agent.post_form(f"/gestion/demandes/{request_id}/decision", confirm,
                                    csrf=confirm["csrf"])
    assert resp.status == 303
    [request] = await requests_of(stack, family.id)
    assert request["comment"] == ("Merci de nous transmettre un justificatif de cette "
                                  "modification. Avis CAF de 2027.")


async def test_conflict_is_flagged_and_approval_refused(agent: Browser, stack: Stack,
                                                        family: Family) -> None:
    first = await parent_asks(stack, family, {"address": {"line1": "3 place de la Mairie"}})
    # Staff change the address meanwhile (through the service, as another agent would).
    async with families_db(stack).acquire() as conn:
        await families_service.change_family(
            conn, family_id=family.id, actor=SETUP,
            patch=FamilyPatch.model_validate({"address": {"line1": "5 avenue du Lac"}}))
    resp, html = await agent.get(f"/gestion/demandes/{first}")
    text = text_of(html)
    assert "Les informations ont changé depuis la demande." in text
    assert ("Adresse 5 avenue du Lac Les informations ont changé depuis la demande "
            "(valeur alors : 12 rue des Oliviers) 3 place de la Mairie") in text
    resp, html = await agent.post_form(f"/gestion/demandes/{first}/decision",
                                       {"decision": "approve", "comment": ""},
                                       page=f"/gestion/demandes/{first}")
    assert resp.status == 409
    assert ("Les informations ont été modifiées depuis cette demande : elle ne peut plus être "
            "approuvée. Vous pouvez la refuser.") in text_of(html)
    assert (await file_of(stack, family.id))["address_line1"] == "5 avenue du Lac"


async def test_deciding_twice_is_refused(agent: Browser, stack: Stack, family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Deux Fois"})
    path = f"/gestion/demandes/{request_id}"
    await agent.post_form(f"{path}/decision", {"decision": "approve"}, page=path)
    resp, html = await agent.post_form(f"{path}/decision", {"decision": "reject",
                                                            "comment": "Non",
                                                            "confirme": "oui"}, page=path)
    assert resp.status == 409
    assert "Cette demande a déjà été traitée." in text_of(html)
    assert "Acceptée" in text_of(html)


async def test_decision_without_csrf_is_refused(agent: Browser, stack: Stack,
                                                family: Family) -> None:
    request_id = await parent_asks(stack, family, {"name": "Famille Sans Jeton"})
    resp, _ = await agent.post_form(f"/gestion/demandes/{request_id}/decision",
                                    {"decision": "approve"}, csrf=None)
    assert resp.status == 403
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["pending"]


async def test_journal_lists_who_decided_what(agent: Browser, stack: Stack,
                                              family: Family) -> None:
    request_id = await parent_asks(stack, family, {"phone_home": "0467000000"})
    path = f"/gestion/demandes/{request_id}"
    await agent.post_form(f"{path}/decision", {"decision": "approve"}, page=path)
    resp, html = await agent.get(f"/gestion/journal?famille={family.id}")
    assert resp.status == 200
    text = text_of(html)
    # One row per decision: the family's name, what, who (issue 10, point 13).
    assert re.search(rf"{re.escape(family.name)} Demande de modification acceptée "
                     r"staff\.[\w.]+@example\.org Agent", text)
    assert "Téléphone du domicile : non renseigné → 04 67 00 00 00" in text
    assert re.search(rf"{re.escape(family.name)} Demande de modification envoyée par la "
                     rf"famille {re.escape(family.email)} Parent", text)
    assert "Création du dossier famille" in text


async def test_the_journal_names_agents_by_their_display_name(
        browser: Browser, stack: Stack, family: Family) -> None:
    agent = await staff_account(stack)
    await stack.app("auth")[common_keys.DB].execute(
        "UPDATE accounts SET display_name = 'Sophie Durand' WHERE id = $1", agent["id"])
    await browser.login(agent["email"], agent["password"])
    request_id = await parent_asks(stack, family, {"phone_home": "0467000000"})
    path = f"/gestion/demandes/{request_id}"
    await browser.post_form(f"{path}/decision", {"decision": "approve"}, page=path)
    _, html = await browser.get(f"/gestion/journal?famille={family.id}")
    text = text_of(html)
    assert "Demande de modification acceptée Sophie Durand Agent" in text
    assert agent["email"] not in text


# ---- pages of the lists -------------------------------------------------------------------------

def link_of(html: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    assert found, f"no {rel} link"
    return found.group(1).replace("&amp;", "&")


async def test_the_journal_of_a_family_pages_forward_and_back(agent: Browser, stack: Stack,
                                                             family: Family) -> None:
    async with families_db(stack).acquire() as conn:
        for qf in range(100, 160):  # 60 entries, and the opening's: two pages of 50
            await families_service.set_qf(conn, family_id=family.id,
                                          body=QfUpdate(qf=qf), actor=SETUP)
    page = f"/gestion/journal?famille={family.id}"

    _, first = await agent.get(page)
    _, second = await agent.get(link_of(first, "next"))
    _, back = await agent.get(link_of(second, "prev"))

    assert 'rel="prev"' not in first
    assert f"famille={family.id}" in link_of(first, "next")
    assert first.count('class="audit__line"') > second.count('class="audit__line"') > 0
    assert 'rel="next"' not in second
    assert back.count('class="audit__line"') == first.count('class="audit__line"')


@pytest.mark.parametrize("path", ["/gestion/familles?q=durand&curseur=",
                                  "/gestion/familles?curseur=",
                                  "/gestion/demandes?curseur=", "/gestion/journal?curseur="])
async def test_a_tampered_page_link_is_said_in_french(agent: Browser, path: str) -> None:
    resp, html = await agent.get(path + "bm9uIG1haXMgbm9u")

    assert resp.status == 400
    assert "Le lien de pagination est invalide. Revenez à la première page." in text_of(html)
    if "familles" not in path:
        assert f'href="{path.split("?")[0]}">Revenir à la première page' in html


# ---- a file edited directly by staff (issue 10, point 11) ---------------------------------------

async def test_an_agent_edits_a_section_of_the_file_at_once_and_it_is_audited(
        agent: Browser, stack: Stack, family: Family) -> None:
    _, page = await agent.get(f"/gestion/familles/{family.id}")
    path = f"/gestion/familles/{family.id}/modifier/adresse"
    assert f'href="{path}"' in page
    resp, html = await agent.get(path)
    assert resp.status == 200
    assert "appliquées immédiatement et inscrites au journal" in text_of(html)
    data = form_of(html, path)
    assert data["address.line1"] == "12 rue des Oliviers"
    assert "guardians.0.last_name" not in data  # one section at a time
    data["phone_home"] = "04 67 96 00 00"
    resp, _ = await agent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 303
    assert resp.headers["Location"] == f"/gestion/familles/{family.id}"
    assert (await file_of(stack, family.id))["phone_home"] == "04 67 96 00 00"
    assert await requests_of(stack, family.id) == []  # no request: applied at once
    _, page = await agent.get(f"/gestion/familles/{family.id}")
    assert "Le dossier de la famille a été modifié." in text_of(page)
    async with families_db(stack).acquire() as conn:
        rows = await families_repo.family_audit(conn, family.id)
    [updated] = [r for r in rows if r["action"] == "family.updated"]
    assert updated["actor_role"] == "staff"


async def test_an_agent_edit_refused_by_the_service_changes_nothing(
        agent: Browser, stack: Stack, family: Family) -> None:
    path = f"/gestion/familles/{family.id}/modifier/adresse"
    _, html = await agent.get(path)
    data = form_of(html, path)
    data["address.postal_code"] = "348"
    resp, page = await agent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 422
    assert "Code postal : Le code postal doit comporter 5 chiffres." in text_of(page)
    assert (await file_of(stack, family.id))["postal_code"] == "34800"


async def test_parents_cannot_edit_a_file_through_the_staff_pages(
        browser: Browser, stack: Stack, family: Family) -> None:
    await browser.login(family.email, family.password)
    path = f"/gestion/familles/{family.id}/modifier/adresse"
    resp, _ = await browser.get(path)
    assert resp.status == 403
    csrf = await browser.csrf("/mon-compte/famille")
    resp, _ = await browser.post_form(path, {"phone_home": "04 67 96 00 00"}, csrf=csrf)
    assert resp.status == 403
    assert (await file_of(stack, family.id))["phone_home"] != "04 67 96 00 00"


# ---- accounts: latest logins, disabled and enabled by an administrator (issue 10, point 14) ----

async def test_an_admin_disables_a_parent_account_from_the_family_page_and_enables_it(
        browser: Browser, stack: Stack, family: Family) -> None:
    async with browser_session() as http:
        parent = Browser(http, stack.gateway_url)
        await parent.login(family.email, family.password)
        admin = await stack.create_account(role="admin")
        await browser.login(admin["email"], admin["password"])
        page_path = f"/gestion/familles/{family.id}"
        _, html = await browser.get(page_path)
        text = text_of(html)
        assert "Dernières connexions :" in text  # the parent's login above
        action = re.search(r'action="(/gestion/familles/[^"]+/statut)"', html)
        assert action and "Désactiver le compte" in text
        resp, _ = await browser.post_form(action.group(1), {"action": "desactiver"},
                                          page=page_path)
        assert resp.status == 303
        _, html = await browser.get(page_path)
        assert "Le compte est désactivé" in text_of(html)
        assert "Compte désactivé" in text_of(html) and "Réactiver le compte" in text_of(html)
        # The parent's session is closed at once: back to the login page.
        resp, _ = await parent.get("/mon-compte")
        assert resp.status == 303 and resp.headers["Location"].startswith("/connexion")
        resp, _ = await browser.post_form(action.group(1), {"action": "reactiver"},
                                          page=page_path)
        assert resp.status == 303
        await parent.login(family.email, family.password)
        resp, _ = await parent.get("/mon-compte")
        assert resp.status == 200


async def test_an_agent_who_is_not_admin_cannot_disable_an_account(
        agent: Browser, stack: Stack, family: Family) -> None:
    page_path = f"/gestion/familles/{family.id}"
    _, html = await agent.get(page_path)
    assert "Désactiver le compte" not in text_of(html)
    accounts = await stack.app("auth")[common_keys.DB].fetch(
        "SELECT id FROM accounts WHERE family_id = $1", family.id)
    path = f"{page_path}/comptes/{accounts[0]['id']}/statut"
    resp, html = await agent.post_form(path, {"action": "desactiver"}, page=page_path)
    assert resp.status == 403
    status = await stack.app("auth")[common_keys.DB].fetchval(
        "SELECT status FROM accounts WHERE family_id = $1", family.id)
    assert status == "active"
    resp, _ = await agent.post_form(path, {"action": "supprimer"}, page=page_path)
    assert resp.status == 422


async def test_the_queue_is_filtered_and_has_a_compact_view(
        agent: Browser, stack: Stack) -> None:
    # Issue 10, point 12: filters (family or child, kind, age) and one line per request.
    mark = uuid.uuid4().hex[:6]
    first = await new_family(stack, name=f"Famille Filtre {mark}", children=("Léa",))
    second = await new_family(stack, name=f"Famille Autre {mark}")
    await parent_asks(stack, first, {"phone_home": "0467000000"})
    await parent_asks(stack, second, {"phone_home": "0467111111"})
    _, html = await agent.get(f"/gestion/demandes?nom=filtre+{mark}")
    text = text_of(html)
    assert f"Famille Filtre {mark} — Informations de la famille" in text
    assert f"Famille Autre {mark}" not in text
    assert "1 demande" in text
    _, html = await agent.get(f"/gestion/demandes?nom={mark}&type=enfant")
    assert "Aucune demande ne correspond à ces filtres." in text_of(html)
    _, html = await agent.get(f"/gestion/demandes?nom={mark}&anciennete=7")
    assert "Aucune demande ne correspond à ces filtres." in text_of(html)
    # A hand-edited value is ignored rather than refused.
    resp, html = await agent.get(f"/gestion/demandes?nom={mark}&type=tout&anciennete=-3")
    assert resp.status == 200 and "2 demandes" in text_of(html)

    resp, html = await agent.get(f"/gestion/demandes?nom={mark}&vue=compacte")
    assert resp.status == 200
    rows = re.findall(r"<tr>\s*<td><a href=\"/gestion/demandes/[0-9a-f-]+\">", html)
    assert len(rows) == 2
    assert "Téléphone du domicile" in text_of(html)
    assert 'name="decision"' not in html  # decided on the request's own page
    assert len(html.encode()) < 100_000


async def test_an_agent_decides_field_by_field_and_the_family_sees_what_was_applied(
        agent: Browser, stack: Stack, family: Family) -> None:
    # Issue 10, point 10: accept some changes, refuse others with a comment, correct a value.
    request_id = await parent_asks(stack, family, {
        "phone_home": "0467000000", "phone_work": "0467222222",
        "address": {"line1": "3 place de la mairie"}})
    path = f"/gestion/demandes/{request_id}"
    _, html = await agent.get(path)
    assert "Décider information par information" in text_of(html)
    form = form_of(html, f"{path}/decision")
    assert form["champ"] in {"address.line1", "phone_home", "phone_work"}
    data = [("csrf", form["csrf"]), ("retour", form.get("retour", "")),
            ("decision", "approve"), ("motif", ""),
            ("champ", "address.line1"), ("champ", "phone_home"), ("champ", "phone_work"),
            ("appliquer", "address.line1"), ("appliquer", "phone_home"),
            ("corriger.address.line1", "3 place de la Mairie"), ("corriger.phone_home", "")]
    # Something refused without a word: refused by the service, nothing applied.
    resp, page = await agent.post_raw(f"{path}/decision", [*data, ("comment", "")])
    assert resp.status == 422
    assert "Un commentaire est obligatoire pour les modifications refusées." in text_of(page)
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["pending"]

    comment = ("comment", "Le numéro professionnel sera vérifié avec votre employeur.")
    resp, _ = await agent.post_raw(f"{path}/decision", [*data, comment])
    assert resp.status == 303
    shown = await file_of(stack, family.id)
    assert shown["address_line1"] == "3 place de la Mairie"  # corrected before accepting
    assert shown["phone_home"] == "04 67 00 00 00"
    assert shown["phone_work"] != "04 67 22 22 22"  # refused

    async with browser_session() as http:
        parent = Browser(http, stack.gateway_url)
        await parent.login(family.email, family.password)
        _, mine = await parent.get("/mon-compte/demandes")
    text = text_of(mine)
    assert "Téléphone professionnel non renseigné 04 67 22 22 22 Non appliquée" in text
    assert ("3 place de la mairie Appliquée, corrigée par le service : 3 place de la Mairie"
            in text)
    mail = await stack.mail_to(family.email)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert "Informations non modifiées : Téléphone professionnel." in body.get_content()


async def test_an_admin_disables_an_agent_account_from_the_accounts_page(
        browser: Browser, stack: Stack) -> None:
    colleague = await staff_account(stack)
    admin = await stack.create_account(role="admin")
    await browser.login(admin["email"], admin["password"])
    _, html = await browser.get("/gestion/comptes")
    assert colleague["email"] in html and admin["email"] in html
    resp, _ = await browser.post_form(f"/gestion/comptes/{colleague['id']}/statut",
                                      {"action": "desactiver"}, page="/gestion/comptes")
    assert resp.status == 303
    status = await stack.app("auth")[common_keys.DB].fetchval(
        "SELECT status FROM accounts WHERE id = $1", colleague["id"])
    assert status == "disabled"
    # Never one's own account: auth's French refusal on the page.
    resp, html = await browser.post_form(f"/gestion/comptes/{admin['id']}/statut",
                                         {"action": "desactiver"}, page="/gestion/comptes")
    assert resp.status == 409
    assert "Vous ne pouvez pas désactiver votre propre compte." in text_of(html)


async def test_parents_never_appear_among_the_agents_accounts(
        agent: Browser, family: Family) -> None:
    resp, html = await agent.get("/gestion/comptes")
    assert resp.status == 200
    assert family.email not in html
    assert "Désactiver le compte" not in html  # an agent who is not admin only reads
