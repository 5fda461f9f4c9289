"""The back office's claims API: list claims, read one with its history, move it on (approve, pay, reject).

Who moves a claim is the API key the request proved: the history names it by its variable."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels.claim_records import Actor, ActorKind, ClaimStatus
from parcels.claims import (
    ClaimNotFound,
    InvalidTransition,
    get_claim,
    is_reference,
    list_claims,
    update_claim,
)
from web.auth import error_response, refusal
from web.errors import database_error
from web.json_body import BadBody, read_json
from web.keys import SETTINGS, UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_PAGE = 500
_UNAVAILABLE = "the database is unavailable; nothing was changed, try again"
KEY_VARIABLE = "BACK_OFFICE_API_KEY"


def _authorised(request: web.Request) -> web.Response | None:
    return refusal(request, request.app[SETTINGS].back_office_api_key, KEY_VARIABLE, "the claims API")


def _status(text: str) -> ClaimStatus:
    try:
        return ClaimStatus(text)
    except ValueError:
        raise ValueError(f"unknown status {text!r}; known: {', '.join(ClaimStatus)}") from None


def _int(request: web.Request, name: str, default: int, most: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) > most:
        raise ValueError(f"{name} must be a whole number from 0 to {most}")
    return int(text)


@routes.get("/api/claims")
async def get_claims(request: web.Request) -> web.Response:
    if (refused := _authorised(request)) is not None:
        return refused
    try:
        given = request.query.get("status")
        status = _status(given) if given is not None else None
        limit = _int(request, "limit", 50, MAX_PAGE)
        offset = _int(request, "offset", 0, 10**9)
    except ValueError as error:
        return error_response(400, str(error))
    try:
        claims, total = await asyncio.to_thread(list_claims, request.app[UNIT_OF_WORK], status, limit, offset)
    except SQLAlchemyError:
        log.exception("listing claims failed")
        return error_response(503, "the database is unavailable; try again")
    page = {"total": total, "limit": limit, "offset": offset, "claims": [claim.as_dict() for claim in claims]}
    return web.json_response(page)


@routes.get("/api/claims/{reference}")
async def get_one_claim(request: web.Request) -> web.Response:
    if (refused := _authorised(request)) is not None:
        return refused
    reference = request.match_info["reference"]
    if not is_reference(reference):
        return error_response(404, "no such claim: a reference looks like C-7K3M9Q2X")
    try:
        claim = await asyncio.to_thread(get_claim, request.app[UNIT_OF_WORK], reference)
    except ClaimNotFound:
        return error_response(404, f"no claim {reference}")
    except SQLAlchemyError:
        log.exception("reading claim %s failed", reference)
        return error_response(503, "the database is unavailable; try again")
    return web.json_response(claim.as_dict())


@routes.patch("/api/claims/{reference}")
async def patch_claim(request: web.Request) -> web.Response:
    if (refused := _authorised(request)) is not None:
        return refused
    reference = request.match_info["reference"]
    if not is_reference(reference):
        return error_response(404, "no such claim: a reference looks like C-7K3M9Q2X")
    try:
        body = await read_json(request)
    except BadBody as error:
        return error_response(400, str(error))
    if not isinstance(body, dict) or set(body) - {"status", "note"} or "status" not in body:
        return error_response(400, 'send {"status": "approved" | "paid" | "rejected", "note": "optional text"}')
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        return error_response(400, "note must be text of at most 500 characters")
    given = body["status"]
    if not isinstance(given, str):
        return error_response(400, f"status must be one of {', '.join(ClaimStatus)}")
    try:
        status = _status(given[:32])
    except ValueError as error:
        return error_response(400, str(error))
    try:
        claim = await asyncio.to_thread(
            update_claim,
            request.app[UNIT_OF_WORK],
            reference,
            status,
            datetime.now(UTC),
            Actor(ActorKind.API_KEY, KEY_VARIABLE),
            note,
        )
    except ClaimNotFound:
        return error_response(404, f"no claim {reference}")
    except InvalidTransition as error:
        return error_response(409, str(error))
    except SQLAlchemyError as error:
        log.exception("updating claim %s failed", reference)
        return database_error(error, _UNAVAILABLE)
    return web.json_response(claim.as_dict())
