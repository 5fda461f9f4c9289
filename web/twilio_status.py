"""``POST /twilio/status``: Twilio's message status callbacks, signature-checked, stored monotonically.

Callbacks arrive out of order (``read`` before ``delivered``): a status never moves a
notification backwards, so a late ``delivered`` does not overwrite ``read``.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from notifications.detect import Status
from parcels.storage.db import session_scope
from parcels.storage.models import Notification
from web.keys import SETTINGS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

# Twilio's statuses, as ours, ranked: a callback is applied only when it moves the notification forward.
_OURS = {
    "accepted": Status.SENT,
    "queued": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
    "read": Status.READ,
}
_RANK = {Status.SENDING: 1, Status.SENT: 2, Status.DELIVERED: 3, Status.FAILED: 3, Status.READ: 4}


def apply(sid: str, provider_status: str, error_code: str | None) -> str:
    """Record one callback; says what happened (for the log and the response)."""
    ours = _OURS.get(provider_status)
    if ours is None:
        return f"status {provider_status!r} ignored"
    with session_scope() as session:
        row = session.scalars(select(Notification).where(Notification.provider_sid == sid)).first()
        if row is None:
            return f"no notification with sid {sid}"
        current = Status(row.status)
        if _RANK.get(ours, 0) <= _RANK.get(current, 0):
            return f"{provider_status} after {current}: kept {current}"
        row.status = str(ours)
        if ours is Status.FAILED:
            row.reason = f"Twilio error {error_code}" if error_code else "Twilio reported a failure"
        return f"{current} -> {ours}"


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
