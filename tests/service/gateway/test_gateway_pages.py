"""Pages of the gateway over HTTP: forms, their French errors, links from e-mails, /dev/mails."""

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from tests.e2e.stack import NEW_PASSWORD, Stack
from tests.service.gateway.conftest import Browser


def local(link: str) -> str:
    """The path and query of a gateway link."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def reset_link(browser: Browser, stack: Stack, email: str) -> str:
    resp, _ = await browser.post_form("/mot-de-passe-oublie", {"email": email})
    assert resp.status == 303
    return local(stack.link_in(await stack.mail_to(email)))


async def test_forgot_page_confirms_the_same_way_for_unknown_addresses(
        browser: Browser) -> None:
    resp, _ = await browser.post_form("/mot-de-passe-oublie",
                                      {"email": "inconnu@example.org"})
    assert resp.headers["Location"] == "/mot-de-passe-oublie/envoye"
    _, html = await browser.get("/mot-de-passe-oublie/envoye")
    text = unescape(html)
    assert "Si un compte existe pour cette adresse, un e-mail vient de lui être envoyé." in text
    assert '<a class="button" href="/connexion">OK</a>' in html
    # Named as the login page names the link, and what the mail holds (issue 10, point 1).
    assert "<h1>Identifiant ou Mot de passe oublié ?</h1>" in text
    text = " ".join(text.split())
    assert "vous rappelle votre identifiant" in text
    assert "un lien pour choisir un nouveau mot de passe" in text
    assert "nous n'envoyons jamais de mot de passe par e-mail" in text
    assert "Le lien est valable 30 minutes et ne sert qu'une seule fois." in text


async def test_unknown_reset_link_shows_a_page_to_ask_again(browser: Browser) -> None:
    resp, html = await browser.get("/mot-de-passe/nouveau?jeton=inconnu")
    assert resp.status == 410
    assert "Ce lien n'est plus valide" in unescape(html)
    assert 'href="/mot-de-passe-oublie"' in html


async def test_reset_page_names_the_login(browser: Browser, stack: Stack,
                                          parent: dict[str, Any]) -> None:
    link = await reset_link(browser, stack, parent["email"])
    resp, html = await browser.get(link)
    assert resp.status == 200
    assert parent["email"] in html
    assert "Choisir un nouveau mot de passe" in html


async def test_reset_refuses_a_mismatched_confirmation(browser: Browser, stack: Stack,
                                                       parent: dict[str, Any]) -> None:
    link = await reset_link(browser, stack, parent["email"])
    token = link.split("jeton=")[1]
    resp, html = await browser.post_form("/mot-de-passe/nouveau", {
        "jeton": token, "password": NEW_PASSWORD, "password_confirmation": "autre chose"},
        page=link)
    assert resp.status == 422
    assert "Les deux mots de passe saisis ne sont pas identiques." in html
    assert 'href="#f-password_confirmation"' in html
    assert re.search(r'id="f-password_confirmation"[^>]*aria-invalid="true"', html)
    assert 'aria-describedby="f-password_confirmation-error"' in html


async def test_reset_logs_in_and_shows_the_success_message(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    link = await reset_link(browser, stack, parent["email"])
    token = link.split("jeton=")[1]
    resp, _ = await browser.post_form("/mot-de-passe/nouveau", {
        "jeton": token, "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
        page=link)
    assert resp.status == 303
    assert resp.headers["Location"] == "/mon-compte"
    _, html = await browser.get("/mon-compte")
    assert "Votre mot de passe a été enregistré." in unescape(html)
    _, again = await browser.get("/mon-compte")
    assert "Votre mot de passe a été enregistré." not in unescape(again)


async def test_reset_refused_by_the_policy_shows_its_message_by_the_field(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    link = await reset_link(browser, stack, parent["email"])
    token = link.split("jeton=")[1]
    resp, html = await browser.post_form("/mot-de-passe/nouveau", {
        "jeton": token, "password": "court", "password_confirmation": "court"}, page=link)
    assert resp.status == 422
    assert 'id="f-password-error"' in html


async def test_invitation_link_welcomes_the_new_user(browser: Browser, stack: Stack) -> None:
    email = stack.new_email("agent")
    await stack.invite_staff(email)
    link = local(stack.link_in(await stack.mail_to(email)))
    assert "bienvenue=1" in link
    resp, html = await browser.get(link)
    assert resp.status == 200
    assert "Bienvenue" in html
    assert 'name="bienvenue" value="1"' in html


async def test_password_change_refuses_a_mismatched_confirmation(
        browser: Browser, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.post_form("/mon-compte/mot-de-passe", {
        "current_password": parent["password"], "new_password": NEW_PASSWORD,
        "new_password_confirmation": NEW_PASSWORD + "!"})
    assert resp.status == 422
    assert "Les deux mots de passe saisis ne sont pas identiques." in html


async def test_password_change_with_a_wrong_current_password_says_so(
        browser: Browser, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.post_form("/mon-compte/mot-de-passe", {
        "current_password": "pas le bon mot de passe", "new_password": NEW_PASSWORD,
        "new_password_confirmation": NEW_PASSWORD})
    assert resp.status == 422
    assert "Le mot de passe actuel est incorrect." in html
    assert 'id="f-current_password-error"' in html


async def test_login_change_request_is_acknowledged_and_shown_pending(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    new_email = stack.new_email("nouveau")
    resp, _ = await browser.post_form("/mon-compte/login", {
        "new_email": new_email, "password": parent["password"]})
    assert resp.headers["Location"] == "/mon-compte"
    _, html = await browser.get("/mon-compte")
    text = unescape(html)
    assert "Votre demande de changement d'adresse mail a été prise en compte." in text
    assert "Tant que votre e-mail ne sera pas validé, votre identifiant reste inchangé." in text
    assert new_email in text


async def test_login_change_with_a_wrong_password_is_refused_by_the_field(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    resp, html = await browser.post_form("/mon-compte/login", {
        "new_email": stack.new_email("nouveau"), "password": "pas le bon mot de passe"})
    assert resp.status == 422
    assert 'id="f-password-error"' in html


async def test_login_confirmation_link_asks_for_one_click_then_logs_in(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    await browser.login(parent["email"], parent["password"])
    new_email = stack.new_email("nouveau")
    await browser.post_form("/mon-compte/login", {"new_email": new_email,
                                                  "password": parent["password"]})
    await browser.post_form("/deconnexion", {}, page="/mon-compte")
    link = local(stack.link_in(await stack.mail_to(new_email)))
    resp, html = await browser.get(link)
    assert resp.status == 200
    assert "data-autosubmit" in html
    # It says which address it confirms (issue 10, point 5).
    assert f"Vous confirmez l'adresse {new_email}" in " ".join(unescape(
        re.sub(r"<[^>]+>", " ", html)).split())
    token = link.split("jeton=")[1]
    resp, _ = await browser.post_form("/mon-compte/login/confirmer", {"jeton": token},
                                      page=link)
    assert resp.headers["Location"] == "/mon-compte"
    _, html = await browser.get("/mon-compte")
    assert "Votre nouvelle adresse mail est confirmée" in unescape(html)
    assert new_email in html


async def test_dev_mails_lists_the_mails_with_their_links(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    await browser.post_form("/mot-de-passe-oublie", {"email": parent["email"]})
    await stack.mail_to(parent["email"])
    resp, html = await browser.get("/dev/mails")
    assert resp.status == 200
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    row = re.search(rf'<td>{re.escape(parent["email"])}</td>\s*<td><a href="(/dev/mails/[^"]+)"',
                    html)
    assert row, "the mail is listed with a link to read it"
    resp, message = await browser.get(row.group(1))
    assert resp.status == 200
    assert re.search(r'<a href="http://127\.0\.0\.1:\d+/mot-de-passe/nouveau\?jeton=', message)
    # The HTML version too, as a mail client shows it, sandboxed (issue 10, point 9).
    html_link = f'{row.group(1)}/html'
    assert f'href="{html_link}"' in message
    resp, version = await browser.get(html_link)
    assert resp.status == 200 and resp.content_type == "text/html"
    assert resp.headers["Content-Security-Policy"].startswith("sandbox;")
    assert "Choisir un nouveau mot de passe" in version and "<body" in version


async def test_dev_mails_unknown_message_is_404(browser: Browser) -> None:
    resp, _ = await browser.get("/dev/mails/inexistant")
    assert resp.status == 404


async def test_a_pending_login_change_is_shown_its_link_sent_again_or_cancelled(
        browser: Browser, stack: Stack, parent: dict[str, Any]) -> None:
    # Issue 10, point 5: the new address and until when its link is valid, « Renvoyer le
    # lien » (the older link dies) and « Annuler la demande » (the link dies, nothing changes).
    await browser.login(parent["email"], parent["password"])
    new_email = stack.new_email("nouveau")
    await browser.post_form("/mon-compte/login", {"new_email": new_email,
                                                  "password": parent["password"]})
    first = local(stack.link_in(await stack.mail_to(new_email)))
    _, html = await browser.get("/mon-compte/login")
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert f"Nouvelle adresse : {new_email}" in text
    assert "Le lien envoyé à cette adresse est valable jusqu'au" in text

    resp, _ = await browser.post_form("/mon-compte/login/renvoyer", {},
                                      page="/mon-compte/login")
    assert resp.status == 303 and resp.headers["Location"] == "/mon-compte/login"
    _, html = await browser.get("/mon-compte/login")
    assert "Un nouveau lien de confirmation vient d'être envoyé" in unescape(html)
    second = local(stack.link_in(await stack.mail_to(new_email, count=2)))
    assert second != first
    resp, html = await browser.get(first)
    assert "Vous confirmez l'adresse" not in unescape(html)  # the older link died

    resp, _ = await browser.post_form("/mon-compte/login/annuler", {},
                                      page="/mon-compte/login")
    assert resp.status == 303
    _, html = await browser.get("/mon-compte/login")
    assert "Votre demande de changement d'adresse est annulée" in unescape(html)
    assert "Nouvelle adresse :" not in unescape(html)
    resp, html = await browser.get(second)
    assert "Vous confirmez l'adresse" not in unescape(html)
    resp, _ = await browser.post_form("/mon-compte/login/renvoyer", {},
                                      page="/mon-compte/login")
    assert resp.status == 409
