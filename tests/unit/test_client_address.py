"""The caller's address (the kernel's one rule, for the gateway and auth): the peer, or behind
trusted proxies (addresses or CIDR ranges) the rightmost untrusted X-Forwarded-For hop."""

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import TypeAdapter

from services.common.addresses import Network, TrustedProxies, client_address

PROXIES = TypeAdapter(TrustedProxies)


def trusted(*values: str) -> tuple[Network, ...]:
    return PROXIES.validate_python(values)


def request_from(peer: str, forwarded: str | None = None) -> web.Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return make_mocked_request("POST", "/sessions", headers=headers).clone(remote=peer)


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    request = request_from("198.51.100.7", "203.0.113.9")
    assert client_address(request, ()) == "198.51.100.7"


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    request = request_from("192.0.2.1", "203.0.113.9")
    assert client_address(request, trusted("127.0.0.1")) == "192.0.2.1"


def test_behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() -> None:
    request = request_from("127.0.0.1", "198.51.100.7, 203.0.113.9, 10.1.2.3")
    assert client_address(request, trusted("127.0.0.1", "10.0.0.0/8")) == "203.0.113.9"
    assert client_address(request, trusted("127.0.0.0/8", "10.0.0.0/8",
                                           "203.0.113.0/24")) == "198.51.100.7"


def test_trusted_proxies_are_cidr_ranges() -> None:
    # A container network: the gateway's address is one of many, not known in advance.
    request = request_from("172.28.0.5", "203.0.113.9")
    assert client_address(request, trusted("172.28.0.0/16")) == "203.0.113.9"
    assert client_address(request_from("::ffff:0:1", "203.0.113.9"),
                          trusted("172.28.0.0/16")) == "::ffff:0:1"


def test_several_forwarded_headers_read_as_one_list() -> None:
    request = make_mocked_request("GET", "/", headers=[
        ("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-For", "203.0.113.9")],
    ).clone(remote="127.0.0.1")
    assert client_address(request, trusted("127.0.0.1")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", " , ", "pas-une-adresse"])
def test_a_trusted_proxy_that_names_no_client_is_not_counted_as_one(
        forwarded: str | None) -> None:
    assert client_address(request_from("127.0.0.1", forwarded), trusted("127.0.0.1")) is None


def test_from_our_own_network_only_the_first_hop_is_the_client() -> None:
    request = request_from("127.0.0.1", "127.0.0.1")
    assert client_address(request, trusted("127.0.0.0/8")) == "127.0.0.1"


@pytest.mark.parametrize(("value", "expected"), [
    ('["10.0.0.0/8", "127.0.0.1"]', ("10.0.0.0/8", "127.0.0.1/32")),
    ("172.28.0.0/16, ::1", ("172.28.0.0/16", "::1/128")),
    ("", ()),
])
def test_trusted_proxies_read_from_the_environment(value: str,
                                                   expected: tuple[str, ...]) -> None:
    assert tuple(str(n) for n in PROXIES.validate_python(value)) == expected


def test_a_range_with_host_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid IPv4 or IPv6 network"):
        PROXIES.validate_python("10.0.0.1/8")
