"""Pure helpers of the gateway: safe redirects, links in mails, French dates, upstream errors."""

from datetime import UTC, date, datetime

import pytest

from gateway.clients import problem_from
from gateway.pages.devmail import linkify
from gateway.render import safe_next
from gateway.templating import french_date
from services.common.errors import Gone, ValidationFailed


@pytest.mark.parametrize("target", ["/mon-compte", "/mon-compte/login?x=1"])
def test_local_pages_are_safe_redirect_targets(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "evil", "",
    "/api/v1/session", "/static/css/portail.css", "/mon-compte\r\nSet-Cookie: x=1",
    "/mon-compte\x00", "/mon-compte\x0b", "/mon-compte\x7f", "/mon-compte\x85",
    "/mon-compte\u202e", "/mon-compte\u2066", "/mon-compte\u2028",
])
def test_other_targets_are_not(target: str) -> None:
    assert safe_next(target) is None


def test_mail_links_become_clickable_and_text_is_escaped() -> None:
    html = linkify("Lien : http://127.0.0.1:8080/mot-de-passe/nouveau?jeton=a&b=1.\n<b>x</b>")
    assert html == ('Lien : <a href="http://127.0.0.1:8080/mot-de-passe/nouveau?jeton=a&amp;b=1">'
                    'http://127.0.0.1:8080/mot-de-passe/nouveau?jeton=a&amp;b=1</a>.\n'
                    '&lt;b&gt;x&lt;/b&gt;')


def test_dates_read_in_french_and_paris_time() -> None:
    assert french_date(date(2027, 7, 5)) == "5 juillet 2027"
    assert french_date("2027-02-01") == "1er février 2027"
    assert french_date(datetime(2027, 7, 5, 8, 30, tzinfo=UTC)) == "5 juillet 2027 à 10 h 30"
    # One style in pages and e-mails (issue 10, point 4): the notifier's datetime_label.
    assert french_date("2026-12-01T07:34:00+00:00") == "1er décembre 2026 à 8 h 34"


def test_upstream_problem_keeps_type_title_and_field_errors() -> None:
    problem = problem_from(422, {"type": "/problems/validation", "title": "Invalide.",
                                 "errors": [{"field": "password", "message": "Trop court."}]})
    assert isinstance(problem, ValidationFailed)
    assert problem.body()["type"] == "/problems/validation"
    assert problem.title == "Invalide."
    assert problem.errors == [{"field": "password", "message": "Trop court."}]


def test_upstream_problem_without_body_falls_back_to_our_french_title() -> None:
    problem = problem_from(410, None)
    assert isinstance(problem, Gone)
    assert problem.title == "Ce lien n'est plus valide."


def test_form_fields_are_named_for_the_error_summary() -> None:
    from gateway.messages import field_label
    assert field_label("guardians.1.phone_mobile") == "Téléphone portable du responsable 2"
    assert field_label("authorized_pickups.0.name") == "Nom et prénom de la personne autorisée 1"
    assert field_label("address.postal_code") == "Code postal"
    assert field_label("doctor_phone") == "Téléphone du médecin"
    assert field_label("guardians.x.phone_mobile") is None
    assert field_label("inconnu") is None
