"""Consent records from the messaging channels: the WhatsApp/SMS connector posts every opt-out and opt-in here."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels.ingest import RecordError, aware_time
from parcels.outbox_records import ConsentRecord
from parcels.storage.unit_of_work import UnitOfWork
from web.auth import error_response
from web.errors import database_error
from web.json_body import read_json
from web.keys import SETTINGS, UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

CHANNELS = {"whatsapp", "sms", "web"}
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
MAX_TEXT = 1600  # a message's length on WhatsApp and SMS
ACTIONS = {"opt_out", "opt_in"}


def parse(body: Any) -> ConsentRecord:
    """A consent record from the connector's JSON; raises ValueError naming what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("send a JSON object")
    phone, channel, action, text, at = (body.get(k) for k in ("phone", "channel", "action", "text", "at"))
    if not isinstance(phone, str) or not E164.fullmatch(phone):
        raise ValueError("phone must be an E.164 number such as +34600000000")
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(sorted(CHANNELS))}")
    if not isinstance(action, str) or action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(sorted(ACTIONS))}")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise ValueError(f"text must be what the customer wrote, at most {MAX_TEXT} characters")
    if not isinstance(at, str) or len(at) > 64:
        raise ValueError("at must be an ISO 8601 time with its offset")
    try:
        moment = aware_time({"at": at}, "at")
    except RecordError as error:
        raise ValueError(str(error)) from None
    return ConsentRecord(phone=phone, channel=channel, purpose="service", action=action, text=text, at=moment)


def store(uow: UnitOfWork, consent: ConsentRecord) -> None:
    with uow.begin() as repos:
        repos.consents.add(consent)


@routes.post("/api/consent")
async def post_consent(request: web.Request) -> web.Response:
    secret = request.app[SETTINGS].consent_hook_secret
    if secret is None:
        return error_response(503, "the consent hook is off: set OPT_OUT_HOOK_SECRET to turn it on")
    given = request.headers.get("X-Hook-Secret", "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        log.warning("consent hook: refused a request without the right secret from %s", request.remote)
        return error_response(401, "missing or wrong X-Hook-Secret")
    try:
        consent = parse(await read_json(request))
    except ValueError as error:  # BadBody included
        return error_response(400, str(error))
    try:
        await asyncio.to_thread(store, request.app[UNIT_OF_WORK], consent)
    except SQLAlchemyError as error:
        log.exception("storing a consent record failed")
        return database_error(error, "the database is unavailable; nothing was stored, send it again")
    return web.json_response({"stored": True}, status=201)
