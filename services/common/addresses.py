"""The caller's address behind our own proxies: one rule for the gateway and every service."""

import ipaddress
import json
from collections.abc import Iterable
from typing import Annotated, Any

from aiohttp import web
from pydantic import BeforeValidator, IPvAnyNetwork
from pydantic_settings import NoDecode

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: Any) -> Any:
    """A JSON list (`["10.0.0.0/8", "127.0.0.1"]`) or a comma-separated list from the
    environment; a single address is a network of one."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else [
            part.strip() for part in text.split(",") if part.strip()]
    return value


# Direct peers whose `X-Forwarded-For` is believed: addresses or CIDR ranges.
TrustedProxies = Annotated[tuple[IPvAnyNetwork, ...], NoDecode, BeforeValidator(_networks)]


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: web.Request, trusted: Iterable[Network]) -> str | None:
    """The address of whoever sent `request`: the direct peer, unless it is one of our
    `trusted` proxies; then the rightmost address of `X-Forwarded-For` that is not one of
    them (those further right were written by our proxies, anything further left is the
    client's to forge). None when unknown — a trusted proxy that names nobody or writes
    something that is no address — so that a proxy is never counted as one client of
    everybody behind it."""
    networks = tuple(trusted)

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in networks)

    peer = _ip(request.remote) if request.remote else None
    if peer is None or not is_trusted(peer):
        return str(peer) if peer is not None else request.remote
    hops = [hop for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",") if hop.strip()]
    if not hops:
        return None
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            return None
        if not is_trusted(ip):
            return str(ip)
    # Every hop is one of ours: the request started on our own network.
    return str(_ip(hops[0]))
