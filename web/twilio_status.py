"""``POST /twilio/status``: Twilio's message status callbacks, signature-checked, stored monotonically.

Callbacks arrive out of order (``read`` before ``delivered``): a status never moves a
notification backwards, so a late ``delivered`` does not overwrite ``read``. One that
arrives before the notifier has recorded the message's id is kept until it does
(``notifications.provider_status``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from notifications.provider_status import record
from parcels.storage.db import session_scope
from web.keys import SETTINGS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def apply(sid: str, provider_status: str, error_code: str | None) -> str:
    """Record one callback; says what happened (for the log)."""
    with session_scope() as session:
        return record(session, sid, provider_status, error_code, datetime.now(UTC))


@routes.post("/twilio/status")
async def status_callback(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if not (settings.twilio_auth_token and settings.status_callback_url):
        return web.Response(status=503, text="set TWILIO_AUTH_TOKEN and TWILIO_STATUS_CALLBACK_URL")
    form = dict(await request.post())
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(settings.status_callback_url, form, signature):
        log.warning("status callback refused: bad or missing X-Twilio-Signature from %s", request.remote)
        return web.Response(status=403, text="bad signature")
    sid, status = str(form.get("MessageSid", "")), str(form.get("MessageStatus", ""))
    if not sid or not status:
        return web.Response(status=400, text="MessageSid and MessageStatus are required")
    error_code = form.get("ErrorCode")
    try:
        outcome = await asyncio.to_thread(apply, sid, status, str(error_code) if error_code else None)
    except SQLAlchemyError:
        log.exception("storing a status callback failed")
        return web.Response(status=503, text="database unavailable; Twilio will retry")
    log.info("status callback %s %s: %s", sid, status, outcome)
    return web.Response(status=204)
