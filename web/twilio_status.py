"""``POST /twilio/status``: Twilio's message status callbacks, signature-checked, stored monotonically.

Callbacks arrive out of order (``read`` before ``delivered``): a status never moves a
notification backwards, so a late ``delivered`` does not overwrite ``read``. One that
arrives before the notifier has recorded the message's id is kept until it does
(``notifications.provider_status``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from notifications.provider_status import KEPT, record, settle
from parcels.storage.unit_of_work import UnitOfWork
from web.forms import read_form
from web.keys import SETTINGS, UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_FORM = 16 * 1024
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
STATUS = re.compile(r"[a-z_]{1,32}")
ERROR_CODE = re.compile(r"[0-9]{1,6}")


def apply(uow: UnitOfWork, sid: str, provider_status: str, error_code: str | None) -> str:
    """Record one callback; says what happened (for the log)."""
    with uow.begin() as repos:
        outcome = record(repos, sid, provider_status, error_code, datetime.now(UTC))
    if outcome == KEPT:  # the dispatcher may have recorded the id meanwhile: see provider_status
        with uow.begin() as repos:
            if settle(repos, sid):
                outcome = "applied: its notification was recorded meanwhile"
    return outcome


@routes.post("/twilio/status")
async def status_callback(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not (settings.twilio_auth_token and settings.status_callback_url):
        return web.Response(status=503, text="set TWILIO_AUTH_TOKEN and TWILIO_STATUS_CALLBACK_URL")
    if request.content_length is not None and request.content_length > MAX_FORM:
        return web.Response(status=413, text="the form is too large for a status callback")
    posted = await read_form(request, ("application/x-www-form-urlencoded",))  # blank values too: all signed
    form = {name: str(value) for name, value in posted.items()}
    if len(form) != len(posted):
        return web.Response(status=400, text="a parameter is given twice")
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(settings.status_callback_url, form, signature):
        log.warning("status callback refused: bad or missing X-Twilio-Signature from %s", request.remote)
        return web.Response(status=403, text="bad signature")
    sid, status, error_code = form.get("MessageSid", ""), form.get("MessageStatus", ""), form.get("ErrorCode", "")
    if not MESSAGE_SID.fullmatch(sid) or not STATUS.fullmatch(status):
        return web.Response(status=400, text="MessageSid and MessageStatus are required, in Twilio's formats")
    if error_code and not ERROR_CODE.fullmatch(error_code):
        return web.Response(status=400, text="ErrorCode must be Twilio's number")
    account = form.get("AccountSid", "")
    if settings.twilio_account_sid and account != settings.twilio_account_sid:
        return web.Response(status=400, text="AccountSid is not this account's")
    try:
        outcome = await asyncio.to_thread(apply, request.app[UNIT_OF_WORK], sid, status, error_code or None)
    except SQLAlchemyError:
        log.exception("storing a status callback failed")
        return web.Response(status=503, text="database unavailable; Twilio will retry")
    log.info("status callback %s %s: %s", sid, status, outcome)
    return web.Response(status=204)
