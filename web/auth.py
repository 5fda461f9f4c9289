"""API keys for the operators' and back office's JSON APIs, and their error shape."""

from __future__ import annotations

import hmac

from aiohttp import web


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def refusal(request: web.Request, key: str | None, variable: str, api: str) -> web.Response | None:
    """None when the request carries ``key``; else the response that refuses it."""
    if key is None:
        return error_response(503, f"{api} is off: set {variable} to turn it on")
    given = request.headers.get("X-Api-Key") or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), key.encode()):
        return error_response(401, "missing or wrong API key (X-Api-Key or Authorization: Bearer)")
    return None
