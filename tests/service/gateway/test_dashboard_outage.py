"""Auth down: the parent's dashboard still shows the family, its children and reservations
(tokens are checked locally), with the account section said unavailable."""

from yarl import URL

from tests.e2e.stack import Stack, gateway_server
from tests.proxy import tcp_proxy
from tests.service.gateway.conftest import Browser, browser_session
from tests.service.gateway.family_support import new_family, text_of

ACCOUNT_UNAVAILABLE = ("Les informations de votre compte (identifiant de connexion) ne peuvent "
                       "pas être affichées pour le moment.")


async def test_the_dashboard_shows_the_family_while_auth_is_down(stack: Stack) -> None:
    family = await new_family(stack, children=("Léa",))
    auth = URL(stack.url("auth"))
    async with tcp_proxy(auth.host or "127.0.0.1", auth.port or 80) as proxy, \
            gateway_server(stack, auth_url=f"http://127.0.0.1:{proxy.port}") as gateway, \
            browser_session() as http:
        browser = Browser(http, str(gateway.make_url("")).rstrip("/"))
        resp, api_session = await browser.api("POST", "/api/v1/session",
                                              body={**family.login, "token": True})
        assert resp.status == 201
        await browser.login(family.email, family.password)
        bearer = {"Authorization": f"Bearer {api_session['access_token']}"}
        _, html = await browser.get("/mon-compte")
        assert family.email in html and ACCOUNT_UNAVAILABLE not in text_of(html)

        await proxy.cut()  # auth is unreachable from now on

        resp, html = await browser.get("/mon-compte")
        assert resp.status == 200
        text = text_of(html)
        assert family.name in text and "Léa" in text
        assert ACCOUNT_UNAVAILABLE in text
        assert family.email not in text
        resp, body = await browser.api("GET", "/api/v1/me/dashboard", headers=bearer)
        assert resp.status == 200, body
        assert body["account"] is None
        assert body["unavailable"] == ["account"]
        assert body["family"]["name"] == family.name
        assert [c["first_name"] for c in body["children"]] == ["Léa"]
