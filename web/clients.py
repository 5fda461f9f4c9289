"""Who is on the other end of a connection, as far as the network can tell."""

from __future__ import annotations

from collections.abc import Set

from aiohttp import web


def client_address(request: web.Request, trusted_proxies: Set[str]) -> str:
    """The client's IP address: the connection's own, unless it comes from one of ``trusted_proxies`` (the entry
    point in front of us); then the nearest address in ``X-Forwarded-For`` that no trusted proxy added. What a
    client writes in that header itself is never believed beyond the first untrusted hop."""
    remote = request.remote or "unknown"
    if remote not in trusted_proxies:
        return remote
    hops = [hop.strip() for value in request.headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted_proxies:
            return hop[:64]
    return remote
