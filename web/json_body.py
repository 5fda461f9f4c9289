"""Reading a request's JSON body from a stranger: strict UTF-8, then :func:`parcels.json_input.loads`, which
keeps every value it cannot read as ``Unreadable`` so that a batch refuses those records and keeps the rest."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from parcels.json_input import BadJson, loads


class BadBody(ValueError):
    """The body as a whole cannot be read: the message says why (an answer of 400)."""


async def read_json(request: web.Request) -> Any:
    body = await request.read()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadBody(f"the body is not UTF-8 text: {error.reason} at byte {error.start}") from None
    try:
        return loads(text)
    except BadJson as error:
        raise BadBody(f"the body is {error}") from None
