"""The browser's address told to auth: X-Forwarded-For is believed from trusted proxies only."""

from unittest.mock import Mock

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gateway import keys
from gateway.session import forwarded_for
from gateway.settings import Settings


def request_from(peer: str, forwarded: str | None, trusted: tuple[str, ...]) -> web.Request:
    app = web.Application()
    app[keys.SETTINGS] = Settings(trusted_proxies=trusted)
    transport = Mock()
    transport.get_extra_info.return_value = (peer, 40000)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return make_mocked_request("GET", "/", headers=headers, app=app, transport=transport)


def test_without_trusted_proxies_the_peer_is_the_browser() -> None:
    assert forwarded_for(request_from("198.51.100.7", "203.0.113.9", ())) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_browser() -> None:
    request = request_from("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1",
                           ("10.0.0.1", "10.0.0.2"))
    assert forwarded_for(request) == "203.0.113.9"


def test_a_trusted_proxy_without_header_is_taken_as_is() -> None:
    assert forwarded_for(request_from("10.0.0.2", None, ("10.0.0.2",))) == "10.0.0.2"
