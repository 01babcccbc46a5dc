"""The staff's reservation pages in `/gestion` through the real stack: who reaches them (route
lists read from the live router), CSRF, inputs checked; the queue's decisions change the lines
in the service (places re-checked there, its French refusals shown on the line); the waiting
lists; the attendance list with the PAI and allergies read from families, and its CSV."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.common import keys as common_keys
from services.common.dates import PARIS, today
from tests.e2e.stack import Stack, gateway_server
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import Family, errors_in, staff_account, text_of
from tests.service.gateway.reservations_support import (
    Service,
    Site,
    automatic_day,
    book,
    known_family,
    line_of,
    new_site,
    request_day,
    staff_service,
)
from tests.service.gateway.test_reservations_access import routes_of
from tests.support import free_port

ID = str(uuid.uuid4())
EST, UNIT, PERIOD = (str(uuid.uuid4()) for _ in range(3))
BASE = "/gestion/reservations"
# Every staff page of reservations (GET) and its forms (POST).
PAGES = [
    BASE,
    f"{BASE}/listes-attente",
    f"{BASE}/listes-attente/cellule?periode={ID}&unite={ID}&date=2027-07-05",
    f"{BASE}/presences",
    f"{BASE}/presences.csv?etablissement={ID}&date=2027-07-05",
    f"{BASE}/etablissements",
    f"{BASE}/etablissements/{EST}",
    f"{BASE}/etablissements/{EST}/unites/{UNIT}",
    f"{BASE}/periodes",
    f"{BASE}/periodes/nouvelle",
    f"{BASE}/periodes/{PERIOD}",
    f"{BASE}/periodes/{PERIOD}/tirage",
]
FORMS: list[tuple[str, dict[str, str]]] = [
    (f"{BASE}/demandes/{ID}/decision", {"decision": "accept"}),
    (f"{BASE}/etablissements", {"name": "Intrus", "kind": "periscolaire"}),
    (f"{BASE}/etablissements/{EST}", {"name": "Intrus", "kind": "periscolaire"}),
    (f"{BASE}/etablissements/{EST}/unites", {"code": "X", "label": "Intrus"}),
    (f"{BASE}/etablissements/{EST}/unites/{UNIT}", {"label": "Intrus"}),
    (f"{BASE}/periodes/nouvelle", {"establishment_id": EST, "name": "Intrus"}),
    (f"{BASE}/periodes/{PERIOD}", {"name": "Intrus"}),
    (f"{BASE}/periodes/{PERIOD}/capacite", {"day.unit_id": UNIT, "day.capacity": "1"}),
    (f"{BASE}/periodes/{PERIOD}/tirage", {"confirm": "1"}),
]


def canonical(path: str) -> str:
    return (path.split("?")[0].replace(ID, "{line_id}").replace(EST, "{establishment_id}")
            .replace(UNIT, "{unit_id}").replace(PERIOD, "{period_id}"))


@pytest.fixture(scope="module")
async def service(stack: Stack) -> AsyncIterator[Service]:
    client = await staff_service(stack)
    try:
        yield client
    finally:
        await client.http.close()


@pytest.fixture(scope="module")
async def site(service: Service) -> Site:
    return await new_site(service)


@pytest.fixture
async def agent(browser: Browser, stack: Stack) -> Browser:
    account = await staff_account(stack)
    await browser.login(account["email"], account["password"])
    return browser


def test_every_staff_reservation_route_is_listed(stack: Stack) -> None:
    listed = {("GET", canonical(p)) for p in PAGES} | {("POST", canonical(p)) for p, _ in FORMS}
    assert routes_of(stack, (BASE,)) == listed


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_a_visitor_to_the_login_page(browser: Browser, path: str) -> None:
    resp, _ = await browser.get(path)
    assert resp.status == 303
    assert resp.headers["Location"].startswith("/connexion?next=%2Fgestion%2Freservations")


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_refused_to_parents(browser: Browser, stack: Stack, path: str) -> None:
    parent = await stack.create_account()
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.get(path)
    assert resp.status == 403
    assert "Cet espace est réservé aux agents du service." in html


@pytest.mark.parametrize(("path", "data"), FORMS)
async def test_forms_are_refused_to_parents(browser: Browser, stack: Stack, path: str,
                                            data: dict[str, str]) -> None:
    parent = await stack.create_account()
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.post_form(path, data, page="/mon-compte")
    assert resp.status == 403
    assert "Cet espace est réservé aux agents du service." in html


@pytest.mark.parametrize(("path", "data"), FORMS)
async def test_forms_without_their_csrf_token_are_refused(agent: Browser, path: str,
                                                          data: dict[str, str]) -> None:
    resp, html = await agent.post_form(path, data, csrf=None)
    assert resp.status == 403
    assert "Le formulaire a expiré ou ne vient pas de ce site." in html
    resp, _ = await agent.post_form(path, data, csrf="forged-token")
    assert resp.status == 403


@pytest.mark.parametrize(("path", "status", "message"), [
    (f"{BASE}/presences?etablissement={ID}&date=05/07/2027", 400,
     "Indiquez une date valide (jj/mm/aaaa)."),
    (f"{BASE}/presences?etablissement={ID}&date=2027-02-30", 400,
     "Indiquez une date valide (jj/mm/aaaa)."),
    (f"{BASE}/presences?etablissement={ID}&date=2027-07-05", 400,
     "Cet établissement n&#39;existe pas."),
    (f"{BASE}/presences.csv", 400, "Choisissez un établissement et un jour."),
    (f"{BASE}/listes-attente?depuis=demain", 400, "Indiquez une date valide (jj/mm/aaaa)."),
    (f"{BASE}/listes-attente/cellule?periode={ID}&date=2027-07-05", 400,
     "Choisissez une période, une unité et un jour."),
    (f"{BASE}/listes-attente/cellule?periode={ID}&unite={ID}&date=2027-07-05", 404,
     "Période introuvable."),
])
async def test_inputs_are_checked_with_a_french_page(agent: Browser, path: str, status: int,
                                                     message: str) -> None:
    resp, html = await agent.get(path)
    assert resp.status == status
    assert message in html


async def test_a_decision_is_accept_or_refuse(agent: Browser) -> None:
    resp, html = await agent.post_form(f"{BASE}/demandes/{ID}/decision",
                                       {"decision": "peut-être"}, page=BASE)
    assert resp.status == 400
    assert "Choisissez « Accepter » ou « Refuser »." in html
    resp, html = await agent.post_form(f"{BASE}/demandes/{ID}/decision",
                                       {"decision": "accept"}, page=BASE)
    assert resp.status == 404
    assert "Ligne introuvable." in html


# ---- the queue ----------------------------------------------------------------------------------

@pytest.fixture
async def two_requests(stack: Stack, site: Site) -> tuple[Family, list[dict[str, Any]]]:
    """Léa and Tom each asked for the same Matin, too late to be automatic."""
    family = await known_family(stack, "Léa", "Tom")
    day = request_day()
    lines = [(await book(stack, family, site, child, [(day, "MATIN")]))["lines"][0]
             for child in ("Léa", "Tom")]
    assert [x["state"] for x in lines] == ["requested", "requested"]
    return family, lines


def queue_url(site: Site) -> str:
    return f"{BASE}?etablissement={site.id}"


async def test_the_queue_shows_the_requests_oldest_first(
        agent: Browser, site: Site, two_requests: tuple[Family, list[dict[str, Any]]]) -> None:
    family, lines = two_requests
    resp, html = await agent.get(queue_url(site))
    assert resp.status == 200
    text = text_of(html)
    lea, tom = text.index("Réservation — Léa Testeur"), text.index("Réservation — Tom Testeur")
    assert lea < tom
    assert family.name in text
    assert "Matin" in text and site.establishment["name"] in text
    for line in lines:
        assert f'action="{BASE}/demandes/{line["id"]}/decision"' in html
    _, html = await agent.get(f"{BASE}?periode={site.period['id']}")
    assert all(line["id"] in html for line in lines)
    _, html = await agent.get(f"{BASE}?periode={uuid.uuid4()}")
    assert "Aucune demande de réservation n'attend de décision." in text_of(html)


async def test_a_refusal_needs_a_comment_and_changes_nothing_without_one(
        agent: Browser, stack: Stack, site: Site,
        two_requests: tuple[Family, list[dict[str, Any]]]) -> None:
    _, lines = two_requests
    resp, html = await agent.post_form(f"{BASE}/demandes/{lines[0]['id']}/decision",
                                       {"decision": "refuse", "comment": " ",
                                        "retour": queue_url(site)}, page=queue_url(site))
    assert resp.status == 422
    assert "Un commentaire est obligatoire pour refuser une demande." in html
    assert (await line_of(stack, lines[0]["id"]))["state"] == "requested"


async def test_decisions_through_the_page_change_the_lines(
        agent: Browser, stack: Stack, site: Site,
        two_requests: tuple[Family, list[dict[str, Any]]]) -> None:
    _, lines = two_requests
    resp, _ = await agent.post_form(f"{BASE}/demandes/{lines[0]['id']}/decision",
                                    {"decision": "accept", "retour": queue_url(site)},
                                    page=queue_url(site))
    assert resp.status == 303
    assert resp.headers["Location"] == queue_url(site)
    resp, _ = await agent.post_form(f"{BASE}/demandes/{lines[1]['id']}/decision", {
        "decision": "refuse", "comment": "Groupe complet pour la sortie.",
        "retour": "https://ailleurs.example/"}, page=queue_url(site))
    assert resp.headers["Location"] == BASE

    assert (await line_of(stack, lines[0]["id"]))["state"] == "accepted"
    refused = await line_of(stack, lines[1]["id"])
    assert (refused["state"], refused["comment"]) == ("refused",
                                                      "Groupe complet pour la sortie.")
    _, html = await agent.get(queue_url(site))
    assert "La demande est refusée." in html
    assert lines[0]["id"] not in html and lines[1]["id"] not in html


async def test_places_are_rechecked_and_the_refusal_shown_on_the_line(
        agent: Browser, stack: Stack, service: Service, site: Site,
        two_requests: tuple[Family, list[dict[str, Any]]]) -> None:
    _, lines = two_requests
    day = lines[0]["date"]
    taken = (await service.call("GET", f"/requests?period_id={site.period['id']}"))["items"]
    held = next(x["taken"] for x in taken if x["line_id"] == lines[0]["id"])
    await service.call("PUT", f"/periods/{site.period['id']}/capacities", json={
        "items": [{"unit_id": site.unit("MATIN"), "date": day, "capacity": held - 1}]})

    resp, html = await agent.post_form(f"{BASE}/demandes/{lines[0]['id']}/decision",
                                       {"decision": "accept"}, page=queue_url(site))

    assert resp.status == 409
    assert "Plus de place disponible ce jour-là" in html
    assert "La décision n'a pas été enregistrée" in text_of(html)
    assert (await line_of(stack, lines[0]["id"]))["state"] == "requested"
    await service.call("PUT", f"/periods/{site.period['id']}/capacities", json={
        "items": [{"unit_id": site.unit("MATIN"), "date": day, "capacity": 20}]})


async def test_a_late_cancellation_is_a_request_of_its_kind_and_accepting_it_cancels(
        agent: Browser, stack: Stack, service: Service, site: Site) -> None:
    family = await known_family(stack, "Léa")
    day = request_day()
    booked = (await book(stack, family, site, "Léa", [(day, "REPAS")]))["lines"][0]
    await service.call("POST", f"/lines/{booked['id']}/decision", json={"decision": "accept"})
    cancel = (await book(stack, family, site, "Léa", [(day, "REPAS")], kind="cancel")
              )["lines"][0]
    assert cancel["state"] == "requested"

    _, html = await agent.get(queue_url(site))
    assert "Annulation — Léa Testeur" in text_of(html)
    resp, _ = await agent.post_form(f"{BASE}/demandes/{cancel['id']}/decision",
                                    {"decision": "accept"}, page=queue_url(site))

    assert resp.status == 303
    assert (await line_of(stack, cancel["id"]))["state"] == "accepted"
    assert (await line_of(stack, booked["id"]))["state"] == "cancelled"


# ---- waiting lists ------------------------------------------------------------------------------

async def test_the_waiting_lists_show_each_cell_and_its_line(
        agent: Browser, stack: Stack, service: Service) -> None:
    site = await new_site(service)
    day = automatic_day()
    await service.call("PUT", f"/periods/{site.period['id']}/capacities", json={
        "items": [{"unit_id": site.unit("REPAS"), "date": day.isoformat(), "capacity": 1}]})
    first, second = await known_family(stack, "Léa"), await known_family(stack, "Noé")
    assert (await book(stack, first, site, "Léa", [(day, "REPAS")]))["state"] == "accepted"
    waiting = await book(stack, second, site, "Noé", [(day, "REPAS")])
    assert waiting["lines"][0]["state"] == "waiting"

    resp, html = await agent.get(f"{BASE}/listes-attente?etablissement={site.id}")
    assert resp.status == 200
    cell = (f"{BASE}/listes-attente/cellule?periode={site.period['id']}&amp;"
            f"unite={site.unit('REPAS')}&amp;date={day.isoformat()}")
    assert cell in html
    assert "1 / 1" in text_of(html)

    resp, html = await agent.get(cell.replace("&amp;", "&"))
    assert resp.status == 200
    text = text_of(html)
    assert "Noé Testeur" in text and second.name in text
    assert waiting["number"] in text
    assert "Liste d'attente" in text

    # Léa's cancellation frees the place: it is offered to Noé, with the deadline to answer.
    assert (await book(stack, first, site, "Léa", [(day, "REPAS")], kind="cancel")
            )["state"] == "cancelled"
    resp, html = await agent.get(cell.replace("&amp;", "&"))
    text = text_of(html)
    assert "Place proposée — réponse attendue avant le" in text
    _, html = await agent.get(f"{BASE}/listes-attente?etablissement={site.id}")
    assert "(réponse attendue avant le" in text_of(html)


# ---- attendance ---------------------------------------------------------------------------------

async def test_the_attendance_list_shows_health_flags_and_downloads_for_excel(
        agent: Browser, stack: Stack, service: Service) -> None:
    site = await new_site(service)
    day = automatic_day()
    family = await known_family(stack, "Léa")
    assert (await book(stack, family, site, "Léa", [(day, "MATIN")]))["state"] == "accepted"
    query = f"etablissement={site.id}&date={day.isoformat()}"

    resp, html = await agent.get(f"{BASE}/presences?{query}")
    assert resp.status == 200
    text = text_of(html)
    assert "Testeur Léa" in text
    assert "PAI : Trousse d'urgence" in text and "Arachide" in text
    assert f"{BASE}/presences.csv?{query.replace('&', '&amp;')}" in html

    resp, html = await agent.get(f"{BASE}/presences?{query}&unite={site.unit('REPAS')}")
    assert "Aucun enfant n'est attendu ce jour-là pour cette unité." in text_of(html)

    async with agent.http.get(agent.url(f"{BASE}/presences.csv?{query}")) as download:
        assert download.status == 200
        assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert download.headers["Content-Disposition"] == (
            f'attachment; filename="presences-{day.isoformat()}.csv"')
        raw = await download.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Nom", "Prénom", "Date de naissance", "Unité", "PAI", "Détails du PAI", "Allergies",
         "Régime alimentaire"],
        ["Testeur", "Léa", "04/03/2019", "Matin", "Oui", "Trousse d'urgence", "Arachide", ""]]
    # Health data stays in families: the reservations service holds none of it.
    async with stack.app("reservations")[common_keys.DB].acquire() as conn:
        columns = await conn.fetchval(
            "SELECT string_agg(column_name, ',') FROM information_schema.columns "
            "WHERE table_schema = current_schema()")
    assert "allerg" not in columns and "pai" not in columns.split(",")


# ---- catalogue ----------------------------------------------------------------------------------

async def post_fields(agent: Browser, path: str, fields: list[tuple[str, str]], *,
                      page: str) -> tuple[int, str, str]:
    """A form with repeated fields (ticked boxes) as a browser posts it: status, Location,
    page."""
    csrf = await agent.csrf(page)
    async with agent.http.post(agent.url(path), data=[*fields, ("csrf", csrf)],
                               allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def test_establishments_and_units_are_made_and_changed_through_the_pages(
        agent: Browser, service: Service) -> None:
    page = f"{BASE}/etablissements"
    resp, html = await agent.post_form(page, {"name": " ", "kind": "periscolaire"})
    assert resp.status == 422
    assert "name" in errors_in(html)
    name = f"Périscolaire des Pins {uuid.uuid4().hex[:4]}"
    resp, _ = await agent.post_form(page, {"name": name, "kind": "periscolaire"})
    assert resp.status == 303
    here = resp.headers["Location"]
    est_id = here.rsplit("/", 1)[1]
    found = next(e for e in (await service.call("GET", "/establishments"))["items"]
                 if e["id"] == est_id)
    assert (found["name"], found["kind"]) == (name, "periscolaire")

    resp, _ = await agent.post_form(f"{here}/unites", {"code": "MATIN", "label": "Matin",
                                                       "position": "1", "active": "1"},
                                    page=here)
    assert resp.status == 303
    resp, html = await agent.post_form(f"{here}/unites", {"code": "MATIN", "label": "Autre",
                                                          "position": "x"}, page=here)
    assert resp.status == 422
    assert errors_in(html) == {"position": "Ordre d'affichage : Indiquez un nombre entier "
                                           "(chiffres uniquement)."}
    resp, html = await agent.post_form(f"{here}/unites", {"code": "MATIN", "label": "Autre"},
                                       page=here)
    assert resp.status == 422
    assert errors_in(html)["code"].startswith("Code : ")
    units = {u["code"]: u for u in next(e for e in (await service.call(
        "GET", "/establishments"))["items"] if e["id"] == est_id)["units"]}
    assert list(units) == ["MATIN"]

    status, _, _ = await post_fields(agent, f"{here}/unites", [
        ("code", "JOURNEE"), ("label", "Journée"), ("position", "0"), ("active", "1"),
        ("excludes", units["MATIN"]["id"])], page=here)
    assert status == 303
    unit_page = f"{here}/unites/{units['MATIN']['id']}"
    status, _, _ = await post_fields(agent, unit_page, [
        ("label", "Matin (7 h 30)"), ("position", "2"), ("active", "1")], page=unit_page)
    assert status == 303
    units = {u["code"]: u for u in next(e for e in (await service.call(
        "GET", "/establishments"))["items"] if e["id"] == est_id)["units"]}
    assert units["MATIN"]["label"] == "Matin (7 h 30)"
    # Unticking every box replaced the exclusions, both ways.
    assert units["MATIN"]["excludes"] == [] and units["JOURNEE"]["excludes"] == []
    _, html = await agent.get(here)
    assert "Matin (7 h 30)" in html


def period_fields(site: Site, **changes: str) -> list[tuple[str, str]]:
    start = today() + timedelta(days=30)
    now = datetime.now(PARIS)
    fields = {
        "name": "Vacances d'hiver", "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=30)).isoformat(),
        "closures": "", "eligibility.min_age": "3", "eligibility.max_age": "11",
        "window.opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "window.closes_at": (now + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
        "rules.auto_days": "5", "rules.request_days": "2", "rules.day_count": "working",
        "allocation": "fcfs", "offer_hours": "24",
        f"u-{site.unit('MATIN')}": "1", f"u-{site.unit('MATIN')}-capacity": "12",
        f"u-{site.unit('MATIN')}-capacity_under6": "", f"u-{site.unit('MATIN')}-capacity_over6": "",
    }
    fields.update(changes)
    return [*fields.items(), *(("weekdays", d) for d in "12345"),
            ("eligibility.school_levels", "CP"), ("eligibility.school_levels", "CE1")]


async def test_a_period_is_made_through_the_pages_with_each_refusal_by_its_field(
        agent: Browser, service: Service) -> None:
    site = await new_site(service)
    new = f"{BASE}/periodes/nouvelle?etablissement={site.id}"
    resp, html = await agent.get(new)
    assert resp.status == 200
    matin = site.unit("MATIN")
    base = [("establishment_id", site.id)]

    status, _, html = await post_fields(agent, f"{BASE}/periodes/nouvelle", base + period_fields(
        site, closures="24/12/2026\n31/02/2027", **{"rules.auto_days": "sept"}), page=new)
    assert status == 422
    assert errors_in(html) == {
        "closures": "Jours de fermeture : Ligne 2 : Indiquez une date valide (jj/mm/aaaa).",
        "rules.auto_days": "Délai des réservations automatiques : Indiquez un nombre entier "
                           "(chiffres uniquement)."}

    now = datetime.now(PARIS)
    status, _, html = await post_fields(agent, f"{BASE}/periodes/nouvelle", base + period_fields(
        site, **{f"u-{matin}-capacity_under6": "3", f"u-{matin}-capacity_over6": "4",
                 "window.closes_at": (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}),
        page=new)
    assert status == 422
    errors = errors_in(html)
    assert errors[f"u-{matin}-capacity"] == (
        "Matin, capacité : La capacité doit être la somme des capacités moins de 6 ans et "
        "6 ans et plus.")
    assert errors["window.closes_at"] == ("Fermeture des réservations : La fermeture des "
                                          "réservations doit suivre leur ouverture.")
    assert "Matin" in html and 'value="3"' in html  # what was typed is shown again

    status, location, _ = await post_fields(agent, f"{BASE}/periodes/nouvelle", base +
                                            period_fields(site, closures="2027-01-05"), page=new)
    assert status == 303
    period_id = location.rsplit("/", 1)[1]
    made = await service.call("GET", f"/periods/{period_id}")
    assert made["name"] == "Vacances d'hiver"
    assert made["weekdays"] == [1, 2, 3, 4, 5]
    assert (made["eligibility"]["min_age"], made["eligibility"]["max_age"]) == (3, 11)
    assert sorted(made["eligibility"]["school_levels"]) == ["CE1", "CP"]
    assert made["rules"] == {"auto_days": 5, "request_days": 2, "day_count": "working",
                             "bill_late_cancellations": False}
    assert [(u["code"], u["capacity"]) for u in made["units"]] == [("MATIN", 12)]
    assert made["offer_hours"] == 24

    # The edit form shows the period as the service has it, and saves what changed.
    _, html = await agent.get(location)
    assert 'value="Vacances d&#39;hiver"' in html
    status, _, _ = await post_fields(agent, location, period_fields(
        site, name="Vacances d'hiver 2027", **{f"u-{site.unit('REPAS')}": "1",
                                              f"u-{site.unit('REPAS')}-capacity": "30",
                                              "rules.request_days": "1"}), page=location)
    assert status == 303
    changed = await service.call("GET", f"/periods/{period_id}")
    assert changed["name"] == "Vacances d'hiver 2027"
    assert [(u["code"], u["capacity"]) for u in changed["units"]] == [("MATIN", 12),
                                                                       ("REPAS", 30)]
    assert changed["rules"]["request_days"] == 1

    # One day's capacity; a day the period does not offer is refused by its field.
    day = date.fromisoformat(changed["start_date"])
    sunday = day + timedelta(days=(6 - day.weekday()))
    status, _, html = await post_fields(agent, f"{location}/capacite", [
        ("day.unit_id", matin), ("day.date", sunday.isoformat()), ("day.capacity", "4")],
        page=location)
    assert status == 422
    assert errors_in(html) == {"day.date": "Jour : Ce jour n'est pas proposé sur cette période."}
    monday = sunday + timedelta(days=1)
    status, _, _ = await post_fields(agent, f"{location}/capacite", [
        ("day.unit_id", matin), ("day.date", monday.strftime("%d/%m/%Y")),
        ("day.capacity", "4")], page=location)
    assert status == 303
    overrides = (await service.call("GET", f"/periods/{period_id}"))["overrides"]
    assert [(o["unit_id"], o["date"], o["capacity"]) for o in overrides] == [
        (matin, monday.isoformat(), 4)]


async def test_a_page_link_the_service_refuses_leads_back_to_the_first_page(
        agent: Browser, site: Site) -> None:
    resp, html = await agent.get(f"{queue_url(site)}&curseur=pas-un-curseur")
    assert resp.status == 400
    assert "Le lien de pagination est invalide." in html
    assert f'href="{queue_url(site)}"' in html


async def test_the_attendance_list_shows_without_families_and_says_so(
        stack: Stack, service: Service) -> None:
    site = await new_site(service)
    day = automatic_day()
    family = await known_family(stack, "Léa")
    assert (await book(stack, family, site, "Léa", [(day, "MATIN")]))["state"] == "accepted"
    account = await staff_account(stack)
    query = f"etablissement={site.id}&date={day.isoformat()}"
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with gateway_server(stack, families_url=nowhere) as alone, \
            browser_session() as http:
        agent = Browser(http, str(alone.make_url("")).rstrip("/"))
        await agent.login(account["email"], account["password"])
        resp, html = await agent.get(f"{BASE}/presences?{query}")
        assert resp.status == 200
        text = text_of(html)
        assert "Testeur Léa" in text
        assert "Les informations de santé (PAI, allergies) ne peuvent pas être affichées" in text
        async with agent.http.get(agent.url(f"{BASE}/presences.csv?{query}")) as download:
            raw = await download.read()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Testeur", "Léa", "04/03/2019", "Matin", "inconnu", "inconnu",
                       "inconnu", "inconnu"]
