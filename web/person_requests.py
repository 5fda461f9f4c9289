"""The back office looks up a shopper's request to be attended by a person by the reference the shopper was
given: where it stands, who holds it, when an agent first wrote and when its answer is due."""

from __future__ import annotations

import asyncio

from aiohttp import web

from parcels.handoffs import by_reference
from web.auth import refusal
from web.claims import KEY_VARIABLE
from web.keys import SETTINGS, UNIT_OF_WORK

routes = web.RouteTableDef()


@routes.get("/api/requests/{reference}")
async def get_request(request: web.Request) -> web.Response:
    refused = refusal(request, request.app[SETTINGS].back_office_api_key, KEY_VARIABLE, "the back office's API")
    if refused is not None:
        return refused
    reference = request.match_info["reference"].strip().upper()[:40]
    view = await asyncio.to_thread(by_reference, request.app[UNIT_OF_WORK], reference)
    body = view.as_dict()
    del body["conversation"]  # the shopper's sender id (a phone number) stays with the agents' console
    return web.json_response(body)
