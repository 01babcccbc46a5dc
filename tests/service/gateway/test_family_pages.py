"""The parent's pages of the family file over HTTP: « Mes informations », the family form (only
what changed is sent), the children, the change requests, the RGPD download, CSRF."""

import json
import re
import uuid
from datetime import date
from html import unescape

import pytest

from gateway.templating import age, family_value, french_date
from services.common.demo import DEMO_CHILD_LEA_ID
from tests.e2e.stack import Stack
from tests.service.gateway.conftest import Browser
from tests.service.gateway.family_support import (
    Family,
    child_of,
    decide,
    field_errors,
    form_of,
    new_family,
    requests_of,
    text_of,
)

FAMILY_FORM = "/mon-compte/famille"
SAVED = ("Vos modifications ont été enregistrées. Elles seront appliquées après validation "
         "par les responsables de pôles.")


@pytest.fixture
async def family(stack: Stack) -> Family:
    return await new_family(stack, children=("Léa",))


@pytest.fixture
async def parent(browser: Browser, family: Family) -> Browser:
    """The family's parent, logged in."""
    await browser.login(family.email, family.password)
    return browser


async def change_family(browser: Browser, **changes: str) -> tuple[int, str]:
    """Submit the family form as the page fills it, with `changes` (form field names with
    `__` for `.`)."""
    _, html = await browser.get(FAMILY_FORM)
    data = form_of(html, FAMILY_FORM)
    data.update({name.replace("__", "."): value for name, value in changes.items()})
    resp, page = await browser.post_form(FAMILY_FORM, data, csrf=data["csrf"])
    return resp.status, page


# ---- « Mes informations » and the family form --------------------------------------------------

async def test_dashboard_shows_the_family_file_and_its_actions(parent: Browser,
                                                              family: Family) -> None:
    _, html = await parent.get("/mon-compte")
    text = text_of(html)
    assert family.name in text
    assert "12 rue des Oliviers 34800 Clermont-l'Hérault" in text
    assert "Madame Claire Testeur (mère) — portable : 06 12 34 56 78" in text
    assert "Numéro d'allocataire CAF 7654321" in text
    assert "Quotient familial (QF) 620 — fixé par le service à partir de votre attestation CAF." \
        in text
    for action in ("Modifier les informations de la famille", "Modifier mon login",
                   "Modifier mon mot de passe", "Mes demandes de modification",
                   "Télécharger mes données"):
        assert action in text


async def test_family_form_is_prefilled_with_the_values_in_force(parent: Browser,
                                                                  family: Family) -> None:
    resp, html = await parent.get(FAMILY_FORM)
    assert resp.status == 200
    data = form_of(html, FAMILY_FORM)
    assert data["name"] == family.name
    assert data["address.line1"] == "12 rue des Oliviers"
    assert data["guardians.0.civility"] == "Madame"
    assert data["guardians.1.last_name"] == ""  # the second guardian's row, empty
    assert data["emergency_contacts.0.name"] == "" and "emergency_contacts.1.name" in data
    assert "Le formulaire montre les informations en vigueur." in text_of(html)
    assert 'name="qf"' not in html  # read-only: set by the service


async def test_saving_sends_only_the_changed_fields_and_says_they_await_validation(
        parent: Browser, stack: Stack, family: Family) -> None:
    status, _ = await change_family(parent, address__line1="3 place de la Mairie")
    assert status == 303
    [request] = await requests_of(stack, family.id)
    assert [c["field"] for c in request["changes"]] == ["address.line1"]
    _, html = await parent.get("/mon-compte")
    assert SAVED in text_of(html)


# ---- the family file by section (issue 10, point 2) -------------------------------------------

SECTIONS = {
    "adresse": ("Adresse et téléphones", {"name", "address.line1", "phone_mobile"},
                {"caf_number", "guardians.0.last_name", "emergency_contacts.0.name"}),
    "responsables": ("Responsables légaux", {"guardians.0.last_name", "guardians.1.phone_mobile"},
                     {"address.line1", "emergency_contacts.0.name", "caf_number"}),
    "urgence": ("Personnes à prévenir en cas d'urgence", {"emergency_contacts.0.name"},
                {"guardians.0.last_name", "authorized_pickups.0.name", "address.line1"}),
    "autorises": ("Personnes autorisées à récupérer les enfants", {"authorized_pickups.0.name"},
                  {"emergency_contacts.0.name", "address.line1"}),
    "caf": ("Allocataire CAF", {"caf_number"}, {"address.line1", "guardians.0.last_name"}),
}


async def test_the_dashboard_opens_each_section_of_the_file_on_its_own(parent: Browser) -> None:
    _, html = await parent.get("/mon-compte")
    for slug, (title, _, _) in SECTIONS.items():
        assert (f'<a class="section__edit" href="{FAMILY_FORM}/{slug}">Modifier'
                f'<span class="visually-hidden"> : {title}</span></a>') in unescape(html)


@pytest.mark.parametrize("slug", list(SECTIONS))
async def test_a_section_shows_its_own_fields_only_with_its_own_save(
        parent: Browser, slug: str) -> None:
    title, shown, hidden = SECTIONS[slug]
    resp, html = await parent.get(f"{FAMILY_FORM}/{slug}")
    assert resp.status == 200
    assert f"<h1>Modifier : {title}</h1>" in unescape(html)
    data = form_of(html, f"{FAMILY_FORM}/{slug}")
    assert shown <= set(data), shown - set(data)
    assert not hidden & set(data), hidden & set(data)
    assert html.count('type="submit" class="button">Enregistrer</button>') == 1


async def test_saving_a_section_changes_only_what_it_shows(parent: Browser, stack: Stack,
                                                           family: Family) -> None:
    path = f"{FAMILY_FORM}/urgence"
    _, html = await parent.get(path)
    data = form_of(html, path)
    data.update({"emergency_contacts.0.name": "Jean Voisin",
                 "emergency_contacts.0.relationship": "Voisin",
                 "emergency_contacts.0.phone": "0611223344"})
    resp, _ = await parent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 303
    [request] = await requests_of(stack, family.id)
    assert [c["field"] for c in request["changes"]] == ["emergency_contacts"]


async def test_a_section_refusal_names_its_field_and_records_nothing(
        parent: Browser, stack: Stack, family: Family) -> None:
    path = f"{FAMILY_FORM}/adresse"
    _, html = await parent.get(path)
    data = form_of(html, path)
    data["address.postal_code"] = "348"
    resp, page = await parent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 422
    assert "Code postal : Le code postal doit comporter 5 chiffres." in text_of(page)
    assert form_of(page, path)["address.postal_code"] == "348"
    assert await requests_of(stack, family.id) == []


async def test_an_unknown_section_is_a_page_not_found(parent: Browser) -> None:
    resp, _ = await parent.get(f"{FAMILY_FORM}/inconnue")
    assert resp.status == 404


async def test_pending_value_is_shown_beside_the_value_in_force(parent: Browser) -> None:
    await change_family(parent, address__line1="3 place de la Mairie")
    _, html = await parent.get("/mon-compte")
    text = text_of(html)
    assert ("Adresse 12 rue des Oliviers 34800 Clermont-l'Hérault En attente de validation : "
            "3 place de la Mairie 34800 Clermont-l'Hérault") in text
    assert '<img src="/static/icons/pending.svg"' in html


async def test_form_starts_from_the_pending_values_and_says_which(parent: Browser) -> None:
    await change_family(parent, address__line1="3 place de la Mairie")
    _, html = await parent.get(FAMILY_FORM)
    assert form_of(html, FAMILY_FORM)["address.line1"] == "3 place de la Mairie"
    assert ("En attente de validation. Valeur en vigueur : 12 rue des Oliviers."
            in text_of(html))
    assert 'aria-describedby="f-address.line1-hint"' in html


async def test_a_second_change_keeps_the_first_one_pending(parent: Browser, stack: Stack,
                                                           family: Family) -> None:
    await change_family(parent, address__line1="3 place de la Mairie")
    await change_family(parent, phone_home="04 67 00 00 00")
    pending = [r for r in await requests_of(stack, family.id) if r["state"] == "pending"]
    assert [[c["field"] for c in r["changes"]] for r in pending] == [
        ["address.line1", "phone_home"]]


async def test_saving_nothing_new_says_so_and_records_nothing(parent: Browser, stack: Stack,
                                                              family: Family) -> None:
    status, html = await change_family(parent)
    assert status == 422
    assert '<div class="notice notice--info" role="status">' in html
    assert "Aucune modification." in text_of(html)
    assert 'id="error-summary"' not in html
    assert await requests_of(stack, family.id) == []


async def test_refused_values_are_shown_by_their_fields_and_nothing_is_recorded(
        parent: Browser, stack: Stack, family: Family) -> None:
    status, html = await change_family(parent, address__postal_code="3480",
                                       phone_home="12")
    assert status == 422
    assert field_errors(html) == {
        "address.postal_code": "Le code postal doit comporter 5 chiffres.",
        "phone_home": "Numéro de téléphone invalide (10 chiffres, par exemple 06 12 34 56 78).",
    }
    assert re.search(r'id="f-address.postal_code"[^>]*aria-invalid="true"', html)
    assert form_of(html, FAMILY_FORM)["address.postal_code"] == "3480"  # kept as typed
    assert await requests_of(stack, family.id) == []


async def test_an_error_lands_on_its_row_even_after_an_empty_one(parent: Browser) -> None:
    # Row 0 stays empty and is not sent: the service's "item 0" is the form's row 1.
    status, html = await change_family(parent, emergency_contacts__1__name="Jean Voisin")
    assert status == 422
    errors = field_errors(html)
    assert errors["emergency_contacts.1.relationship"] == "Ce champ est obligatoire."
    assert errors["emergency_contacts.1.phone"] == "Ce champ est obligatoire."
    assert 'id="f-emergency_contacts.1.phone-error"' in html


async def test_the_summary_names_each_field_in_error(parent: Browser) -> None:
    # Issue 10, point 3: « Téléphone portable du responsable 2 : … », never a bare message
    # twice.
    status, html = await change_family(
        parent, guardians__1__civility="Mme", guardians__1__last_name="Durand",
        guardians__1__first_name="Alice", guardians__1__relationship="Mère",
        guardians__1__phone_mobile="12", emergency_contacts__1__name="Jean Voisin")
    assert status == 422
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary
    items = [" ".join(text_of(li).split())
             for li in re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)]
    assert any(i.startswith("Téléphone portable du responsable 2 : ") for i in items), items
    assert "Lien avec l'enfant de la personne à prévenir 2 : Ce champ est obligatoire." in items
    assert "Téléphone de la personne à prévenir 2 : Ce champ est obligatoire." in items
    assert len(items) == len(set(items))


async def test_a_filled_row_adds_a_person(parent: Browser, stack: Stack,
                                          family: Family) -> None:
    status, _ = await change_family(parent, authorized_pickups__0__name="Anne Dupuis",
                                    authorized_pickups__0__relationship="grand-mère",
                                    authorized_pickups__0__phone="0611223344")
    assert status == 303
    [request] = await requests_of(stack, family.id)
    [change] = request["changes"]
    assert change["field"] == "authorized_pickups"
    assert change["new"] == [{"name": "Anne Dupuis", "relationship": "grand-mère",
                              "phone": "06 11 22 33 44"}]


async def test_emptying_a_row_removes_the_person(parent: Browser, stack: Stack,
                                                 family: Family) -> None:
    status, _ = await change_family(parent, **{f"guardians__0__{key}": "" for key in (
        "civility", "last_name", "first_name", "relationship", "phone_mobile")})
    assert status == 303
    [request] = await requests_of(stack, family.id)
    assert [(c["field"], c["new"]) for c in request["changes"]] == [("guardians", [])]


async def test_family_form_without_csrf_is_refused_and_records_nothing(
        parent: Browser, stack: Stack, family: Family) -> None:
    _, html = await parent.get(FAMILY_FORM)
    data = form_of(html, FAMILY_FORM)
    data["name"] = "Famille Piratée"
    del data["csrf"]
    resp, page = await parent.post_form(FAMILY_FORM, data, csrf=None)
    assert resp.status == 403
    assert "Le formulaire a expiré" in page
    assert await requests_of(stack, family.id) == []


async def test_family_form_needs_a_login(browser: Browser) -> None:
    resp, _ = await browser.get(FAMILY_FORM)
    assert resp.status == 303
    assert resp.headers["Location"] == "/connexion?next=%2Fmon-compte%2Ffamille"


# ---- « Mes enfants » ----------------------------------------------------------------------------

async def test_children_block_lists_age_class_and_actions(parent: Browser,
                                                          family: Family) -> None:
    _, html = await parent.get("/mon-compte")
    text = text_of(html)
    assert "Léa Testeur" in text and "— CE1" in text
    assert re.search(r"Léa Testeur \d+ ans — CE1", text)
    child_id = family.children["Léa"]
    assert f'href="/mon-compte/enfants/{child_id}"' in html
    assert f'href="/mon-compte/enfants/{child_id}/modifier"' in html
    assert "Voir la fiche de Léa Testeur" in text
    assert 'href="/mon-compte/enfants/ajouter"' in html


async def test_child_page_shows_the_health_information(parent: Browser, family: Family) -> None:
    resp, html = await parent.get(f"/mon-compte/enfants/{family.children['Léa']}")
    assert resp.status == 200
    text = text_of(html)
    assert "Fiche de Léa Testeur" in text
    assert "Allergies Arachide" in text
    assert "PAI (projet d'accueil individualisé) Oui" in text
    assert "Détails du PAI Trousse d'urgence" in text
    assert "Médecin traitant Docteur Roux" in text


CHILD_SECTIONS = {
    "identite": ("Identité et scolarité", {"last_name", "birth_date", "school_level"},
                 {"allergies", "diet", "image_rights_consent"}),
    "sante": ("Repas et santé", {"diet", "allergies", "pai", "doctor_phone"},
              {"last_name", "school", "allowed_to_leave_alone"}),
    "autorisations": ("Autorisations", {"image_rights_consent", "allowed_to_leave_alone"},
                      {"last_name", "allergies", "diet"}),
}


@pytest.mark.parametrize("slug", list(CHILD_SECTIONS))
async def test_a_child_section_opens_on_its_own_and_saves_only_its_fields(
        parent: Browser, stack: Stack, family: Family, slug: str) -> None:
    title, shown, hidden = CHILD_SECTIONS[slug]
    child_id = family.children["Léa"]
    _, view = await parent.get(f"/mon-compte/enfants/{child_id}")
    path = f"/mon-compte/enfants/{child_id}/modifier/{slug}"
    assert f'href="{path}"' in view
    resp, html = await parent.get(path)
    assert resp.status == 200
    assert f"<h1>Modifier : {title} de Léa Testeur</h1>" in unescape(html)
    data = form_of(html, path)
    assert shown <= set(data) and not hidden & set(data)
    field = sorted(shown)[0]
    data[field] = {"allowed_to_leave_alone": "oui", "birth_date": "2019-05-04",
                   "allergies": "Pollen"}.get(field, data[field])
    if data[field] == form_of(html, path)[field]:
        data[field] = "non" if data[field] == "oui" else "oui"
    resp, _ = await parent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 303
    [request] = await requests_of(stack, family.id)
    assert [c["field"] for c in request["changes"]] == [field]


async def test_an_unknown_child_section_is_a_page_not_found(parent: Browser,
                                                            family: Family) -> None:
    resp, _ = await parent.get(f"/mon-compte/enfants/{family.children['Léa']}/modifier/x")
    assert resp.status == 404


@pytest.mark.parametrize("suffix", ["", "/modifier", "/modifier/sante", "/modifier/identite"])
async def test_another_family_child_is_a_page_not_found(parent: Browser, suffix: str) -> None:
    resp, html = await parent.get(f"/mon-compte/enfants/{DEMO_CHILD_LEA_ID}{suffix}")
    assert resp.status == 404
    assert "Arachide" not in html and "Léa" not in html


async def test_changing_another_family_child_is_refused_and_records_nothing(
        parent: Browser, stack: Stack) -> None:
    other = await new_family(stack, children=("Zélie",))
    child_id = other.children["Zélie"]
    csrf = await parent.csrf("/mon-compte/enfants/ajouter")
    resp, _ = await parent.post_form(f"/mon-compte/enfants/{child_id}/modifier", {
        "first_name": "Piratée"}, csrf=csrf)
    assert resp.status == 404
    assert await requests_of(stack, other.id) == []
    assert (await child_of(stack, other.id, child_id))["first_name"] == "Zélie"


async def test_child_address_that_is_not_an_id_is_a_page_not_found(parent: Browser) -> None:
    resp, _ = await parent.get("/mon-compte/enfants/pas-un-identifiant")
    assert resp.status == 404


async def test_child_change_is_a_request_and_the_child_is_marked_pending(
        parent: Browser, stack: Stack, family: Family) -> None:
    path = f"/mon-compte/enfants/{family.children['Léa']}/modifier"
    _, html = await parent.get(path)
    data = form_of(html, path)
    assert data["pai"] == "oui" and data["school_level"] == "CE1"
    data.update({"school_level": "CE2", "allowed_to_leave_alone": "oui"})
    resp, _ = await parent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 303
    [request] = await requests_of(stack, family.id)
    assert [(c["field"], c["new"]) for c in request["changes"]] == [
        ("school_level", "CE2"), ("allowed_to_leave_alone", True)]
    _, html = await parent.get("/mon-compte")
    assert SAVED in text_of(html)
    assert "Modification en attente de validation" in text_of(html)


async def test_child_form_shows_the_service_refusal_by_the_field(parent: Browser, stack: Stack,
                                                                 family: Family) -> None:
    path = f"/mon-compte/enfants/{family.children['Léa']}/modifier"
    _, html = await parent.get(path)
    data = form_of(html, path)
    data.update({"diet": "other", "diet_detail": ""})
    resp, page = await parent.post_form(path, data, csrf=data["csrf"])
    assert resp.status == 422
    assert field_errors(page) == {
        "diet_detail": "Précisez le régime alimentaire lorsque « autre » est choisi."}
    assert await requests_of(stack, family.id) == []


async def test_added_child_is_listed_awaiting_validation(parent: Browser, stack: Stack,
                                                         family: Family) -> None:
    resp, _ = await parent.post_form("/mon-compte/enfants/ajouter", {
        "last_name": "Testeur", "first_name": "Jules", "birth_date": "2022-05-06", "sex": "M",
        "diet": "none", "pai": "non"})
    assert resp.status == 303
    [request] = await requests_of(stack, family.id)
    assert request["target"] == "new_child"
    _, html = await parent.get("/mon-compte")
    text = text_of(html)
    assert ("Votre demande d'ajout d'enfant a été enregistrée. Elle sera appliquée après "
            "validation par les responsables de pôles.") in text
    assert "Jules Testeur" in text and "Ajout en attente de validation" in text


async def test_added_child_refused_by_the_service_keeps_the_form(parent: Browser,
                                                                 stack: Stack,
                                                                 family: Family) -> None:
    resp, html = await parent.post_form("/mon-compte/enfants/ajouter", {
        "first_name": "Jules", "birth_date": "2090-01-01", "diet": "none"})
    assert resp.status == 422
    assert field_errors(html) == {
        "last_name": "Ce champ est obligatoire.",
        "birth_date": "La date de naissance doit être dans le passé.",
        "sex": "Ce champ est obligatoire.",
    }
    assert form_of(html, "/mon-compte/enfants/ajouter")["first_name"] == "Jules"
    assert await requests_of(stack, family.id) == []


async def test_add_child_form_without_csrf_is_refused(parent: Browser, stack: Stack,
                                                      family: Family) -> None:
    resp, _ = await parent.post_form("/mon-compte/enfants/ajouter", {
        "last_name": "Testeur", "first_name": "Jules", "birth_date": "2022-05-06",
        "sex": "M"}, csrf=None)
    assert resp.status == 403
    assert await requests_of(stack, family.id) == []


# ---- « Mes demandes de modification », « Télécharger mes données » -------------------------------

async def test_change_requests_page_shows_states_comment_and_legend(
        parent: Browser, stack: Stack, family: Family) -> None:
    await change_family(parent, phone_home="0467000000")
    [request] = await requests_of(stack, family.id)
    await decide(stack, request["id"], "reject", "Numéro à confirmer par téléphone.")
    resp, html = await parent.get("/mon-compte/demandes")
    assert resp.status == 200
    text = text_of(html)
    assert "Informations de la famille" in text
    assert "Refusée" in text
    assert "Téléphone du domicile non renseigné 04 67 00 00 00" in text
    assert "Commentaire du service : Numéro à confirmer par téléphone." in text
    assert '<details class="legend">' in html
    assert "En attente de validation : les responsables de pôles" in text


async def test_a_replaced_request_says_by_which_request_not_that_staff_processed_it(
        parent: Browser, stack: Stack, family: Family) -> None:
    await change_family(parent, phone_home="0467000000")
    await change_family(parent, phone_home="0467111111")
    old, new = sorted(await requests_of(stack, family.id), key=lambda r: r["created_at"])
    assert (old["state"], new["state"]) == ("superseded", "pending")
    _, html = await parent.get("/mon-compte/demandes")
    text = text_of(html)
    made = french_date(new["created_at"])
    assert f"Remplacée par votre demande du {made}" in text
    assert "traitée le" not in text


WITHDRAWN = "Votre demande de modification a été retirée. Votre dossier reste inchangé."


async def test_a_pending_request_can_be_withdrawn_from_the_requests_page(
        parent: Browser, stack: Stack, family: Family) -> None:
    await change_family(parent, phone_home="0467000000")
    [request] = await requests_of(stack, family.id)
    _, html = await parent.get("/mon-compte/demandes")
    action = f"/mon-compte/demandes/{request['id']}/retrait"
    data = form_of(html, action)

    resp, _ = await parent.post_form(action, data, csrf=data["csrf"])

    assert resp.status == 303
    [withdrawn] = await requests_of(stack, family.id)
    assert withdrawn["state"] == "withdrawn"
    _, html = await parent.get("/mon-compte/demandes")
    assert WITHDRAWN in text_of(html)
    assert "Retirée" in text_of(html)
    assert action not in html  # nothing left to withdraw


async def test_a_decided_request_cannot_be_withdrawn(parent: Browser, stack: Stack,
                                                     family: Family) -> None:
    await change_family(parent, phone_home="0467000000")
    [request] = await requests_of(stack, family.id)
    _, html = await parent.get("/mon-compte/demandes")
    action = f"/mon-compte/demandes/{request['id']}/retrait"
    data = form_of(html, action)
    await decide(stack, request["id"], "approve")

    await parent.post_form(action, data, csrf=data["csrf"])

    _, html = await parent.get("/mon-compte/demandes")
    assert "Cette demande a déjà été traitée" in text_of(html)
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["approved"]


async def test_setting_the_pending_value_back_withdraws_the_request(
        parent: Browser, stack: Stack, family: Family) -> None:
    await change_family(parent, address__line1="3 place de la Mairie")
    await change_family(parent, address__line1="12 rue des Oliviers")
    assert [r["state"] for r in await requests_of(stack, family.id)] == ["withdrawn"]
    _, html = await parent.get("/mon-compte")
    assert WITHDRAWN in text_of(html)
    assert "En attente de validation" not in text_of(html)


async def test_download_my_data_is_a_json_attachment(parent: Browser, family: Family) -> None:
    resp, body = await parent.get("/mon-compte/mes-donnees")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert resp.headers["Content-Disposition"].startswith(
        'attachment; filename="portail-famille-mes-donnees-')
    assert resp.headers["Cache-Control"] == "no-store"
    data = json.loads(body)
    # Keys in French at every depth, readable by a parent (issue 10, point 7).
    assert data["Famille"]["Identifiant"] == str(family.id)
    assert [c["Prénom"] for c in data["Enfants"]] == ["Léa"]
    assert data["Famille"]["Adresse"]["Code postal"] == "34800"
    assert data["Enfants"][0]["Allergies"] == "Arachide"

    def english_keys(value: object) -> set[str]:
        if isinstance(value, dict):
            own = {k for k in value if re.fullmatch(r"[a-z_0-9]+", k)}
            return own.union(*(english_keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(english_keys(v) for v in value))
        return set()

    assert english_keys(data) == set()


async def test_my_data_is_also_a_printable_page(parent: Browser, family: Family,
                                                stack: Stack) -> None:
    other = await new_family(stack, children=("Zélie",))
    _, dashboard = await parent.get("/mon-compte")
    assert 'href="/mon-compte/mes-donnees/imprimer"' in dashboard
    resp, html = await parent.get("/mon-compte/mes-donnees/imprimer")
    assert resp.status == 200
    text = text_of(html)
    for heading in ("Famille", "Enfants", "Demandes de modification", "Journal des opérations"):
        assert f">{heading}</h2>" in html
    assert "Code postal 34800" in text and "Prénom Léa" in text and "Allergies Arachide" in text
    assert not re.findall(r"<dt>[a-z_.0-9]+</dt>", html)
    assert other.name not in text and "Zélie" not in text
    assert len(html.encode()) < 100_000


async def test_staff_cannot_use_the_parent_pages(browser: Browser, stack: Stack) -> None:
    agent = await stack.create_account(role="staff")
    await browser.login(agent["email"], agent["password"])
    resp, html = await browser.get(FAMILY_FORM)
    assert resp.status == 403
    assert "Cette page est réservée aux familles." in html


async def test_unknown_child_is_a_page_not_found(parent: Browser) -> None:
    resp, _ = await parent.get(f"/mon-compte/enfants/{uuid.uuid4()}")
    assert resp.status == 404


# ---- how values of the file read -----------------------------------------------------------------

@pytest.mark.parametrize(("birth", "said"), [
    ("2021-01-10", "5 ans"), ("2025-05-10", "1 an"), ("2025-05-11", "11 mois"),
    ("2026-04-30", "0 mois")])
def test_age_is_said_in_years_or_in_months_for_babies(birth: str, said: str) -> None:
    assert age(birth, today=date(2026, 5, 10)) == said


@pytest.mark.parametrize(("field", "value", "said"), [
    ("phone_work", None, "non renseigné"),
    ("pai", True, "Oui"),
    ("diet", "no_pork", "Sans porc"),
    ("school_level", "GS", "GS (grande section)"),
    ("birth_date", "2021-07-26", "26 juillet 2021"),
    ("emergency_contacts", [{"name": "Anne Dupuis", "relationship": "grand-mère",
                             "phone": "06 11 22 33 44"}],
     "Anne Dupuis (grand-mère) — 06\u00a011\u00a022\u00a033\u00a044"),
])
def test_values_of_the_file_read_in_french(field: str, value: object, said: str) -> None:
    assert family_value(value, field) == said
