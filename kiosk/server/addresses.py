"""The client address of a request: the one place it is read (login throttle, admin
sessions and audit log, rate limits).

``X-Forwarded-For`` is believed only when the peer is one of ``settings.trusted_proxies``
(addresses or CIDRs; default none). Then the client is the right-most address of the
header that is not itself a trusted proxy — entries further left were written by whoever
sent the request and prove nothing. uvicorn's own proxy-header handling is switched off
(``kiosk/server/cli.py``) so that this is the only rule.
"""

from __future__ import annotations

import functools
import ipaddress

from starlette.requests import HTTPConnection

__all__ = ["client_address", "trusted_networks"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=16)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[_Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request: HTTPConnection) -> str:
    """The address of whoever sent ``request`` (``"unknown"`` when there is none)."""
    peer = request.client.host if request.client is not None else "unknown"
    runtime = getattr(request.app.state, "runtime", None)
    proxies = tuple(runtime.settings.trusted_proxies) if runtime is not None else ()
    if not proxies:
        return peer
    networks = trusted_networks(proxies)
    if not _trusted(peer, networks):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header: trust nothing in it
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
