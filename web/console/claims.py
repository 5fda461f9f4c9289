"""Shoppers' compensation claims, for operators (agents and admins): the list, one claim with its history, and
moving it on. Who moved it is the signed-in staff member, recorded in the claim's history."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels.claim_records import TRANSITIONS, Actor, ActorKind, ClaimStatus
from parcels.claims import (
    ClaimNotFound,
    InvalidTransition,
    get_claim,
    is_reference,
    list_claims,
    update_claim,
)
from parcels.staff import Role
from web.console.pages import PREFIX, STAFF, render, see_other, staff_only
from web.console.sessions import flash
from web.forms import read_form
from web.keys import UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OPERATORS = (Role.AGENT, Role.ADMIN)
PAGE = 100
MAX_NOTE = 500
_UNAVAILABLE = "The database is unavailable; try again."


@routes.get("/claims")
@staff_only(*OPERATORS)
async def claims_page(request: web.Request) -> web.StreamResponse:
    given = request.query.get("status") or None
    if given is not None and given not in {str(s) for s in ClaimStatus}:
        return await render(request, "error", {"error": f"Unknown status {given[:32]!r}."}, status=400)
    page = request.query.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 10_000:
        return await render(request, "error", {"error": "The page must be a whole number from 1."}, status=400)
    status = None if given is None else ClaimStatus(given)
    try:
        claims, total = await asyncio.to_thread(
            list_claims, request.config_dict[UNIT_OF_WORK], status, PAGE, (int(page) - 1) * PAGE
        )
    except SQLAlchemyError:
        log.exception("console: listing claims failed")
        return await render(request, "error", {"error": _UNAVAILABLE}, status=503)
    context = {
        "claims": claims,
        "total": total,
        "status": given,
        "statuses": [str(s) for s in ClaimStatus],
        "page": int(page),
        "pages": max(1, -(-total // PAGE)),
    }
    return await render(request, "claims", context)


@routes.get("/claims/{reference}")
@staff_only(*OPERATORS)
async def claim_page(request: web.Request) -> web.StreamResponse:
    reference = request.match_info["reference"]
    if not is_reference(reference):
        return await render(request, "error", {"error": "No such claim: a reference looks like C-7K3M9Q2X."}, 404)
    try:
        detail = await asyncio.to_thread(get_claim, request.config_dict[UNIT_OF_WORK], reference)
    except ClaimNotFound:
        return await render(request, "error", {"error": f"No claim {reference}."}, status=404)
    except SQLAlchemyError:
        log.exception("console: reading claim %s failed", reference)
        return await render(request, "error", {"error": _UNAVAILABLE}, status=503)
    moves = sorted(str(s) for s in TRANSITIONS[detail.claim.status])
    return await render(request, "claim", {"claim": detail.claim, "history": detail.history, "moves": moves})


@routes.post("/claims/{reference}")
@staff_only(*OPERATORS)
async def move_claim(request: web.Request) -> web.StreamResponse:
    reference = request.match_info["reference"]
    if not is_reference(reference):
        return await render(request, "error", {"error": "No such claim."}, status=404)
    form = await read_form(request)
    given = str(form.get("status", ""))[:32]
    note = str(form.get("note", "")).replace("\r\n", "\n").strip() or None
    url = f"{PREFIX}/claims/{reference}"
    if given not in {str(s) for s in ClaimStatus}:
        await flash(request, "error", "Choose what the claim becomes. Nothing was changed.")
        return see_other(url)
    if note is not None and len(note) > MAX_NOTE:
        await flash(request, "error", f"The note is longer than {MAX_NOTE} characters. Nothing was changed.")
        return see_other(url)
    actor = Actor(ActorKind.STAFF, request[STAFF].email)
    try:
        detail = await asyncio.to_thread(
            update_claim,
            request.config_dict[UNIT_OF_WORK],
            reference,
            ClaimStatus(given),
            datetime.now(UTC),
            actor,
            note,
        )
    except ClaimNotFound:
        return await render(request, "error", {"error": f"No claim {reference}."}, status=404)
    except InvalidTransition as refused:
        await flash(request, "error", f"Not changed: {refused}.")
        return see_other(url)
    except SQLAlchemyError:
        log.exception("console: moving claim %s on failed", reference)
        await flash(request, "error", "The database is unavailable; nothing was changed. Try again.")
        return see_other(url)
    log.info("console: %s moved claim %s to %s", actor.name, reference, detail.claim.status)
    await flash(request, "ok", f"Claim {reference} is {detail.claim.status}.")
    return see_other(url)
