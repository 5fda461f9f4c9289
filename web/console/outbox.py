"""The notifier's outbox, for operators (agents and admins): every message and its status, phone numbers masked."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from notifications.outbox import Channel, Status, Unrenderable, render_row
from parcels.staff import Role
from parcels.storage.db import session_scope
from parcels.storage.models import Notification, Shipment
from web.console.pages import render, staff_only

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OPERATORS = (Role.AGENT, Role.ADMIN)
PAGE = 200


def masked(phone: str | None) -> str:
    """``+34 6•• ••• •78``: enough to tell numbers apart, not enough to write to one."""
    if not phone:
        return "—"
    digits = phone.lstrip("+")
    return f"+{digits[:3]}{'•' * max(0, len(digits) - 5)}{digits[-2:]}"


def message_text(notification: Notification) -> str:
    """What the shopper reads (or would have read): the message rendered for its channel."""
    try:
        return render_row(notification).text
    except Unrenderable as error:
        return f"(cannot be rendered: {error})"


def via(notification: Notification) -> str:
    if notification.provider_sid and notification.provider_sid.startswith("SINK"):
        return "local sink (no Twilio credentials)"
    if notification.provider_sid:
        return f"Twilio {notification.provider_sid}"
    return ""


def outbox(status: str | None) -> dict[str, Any]:
    with session_scope() as session:
        counts = dict(session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
        query = (
            select(Notification, Shipment.tracking_number)
            .join(Shipment, Shipment.id == Notification.shipment_id)
            .order_by(Notification.updated_at.desc(), Notification.id.desc())
            .limit(PAGE)
        )
        if status:
            query = query.where(Notification.status == status)
        rows = [
            {
                "kind": n.kind,
                "number": number,
                "channel": n.channel,
                "to": "web chat inbox" if n.channel == Channel.WEB else masked(n.recipient),  # its key is a credential
                "status": n.status,
                "reason": n.reason,
                "attempts": n.attempts,
                "not_before": n.not_before,
                "updated_at": n.updated_at,
                "sid": n.provider_sid,
                "via": via(n),
                "text": message_text(n) if n.channel != Channel.NONE else None,
            }
            for n, number in session.execute(query)
        ]
    return {"counts": [(str(s), counts.get(str(s), 0)) for s in Status], "rows": rows, "status": status}


@routes.get("/notifications")
@staff_only(*OPERATORS)
async def outbox_page(request: web.Request) -> web.StreamResponse:
    status = request.query.get("status") or None
    if status is not None and status not in {str(s) for s in Status}:
        return await render(request, "error", {"error": f"Unknown status {status!r}."}, status=400)
    try:
        context = await asyncio.to_thread(outbox, status)
    except SQLAlchemyError:
        log.exception("console: reading the outbox failed")
        return await render(request, "error", {"error": "The database is unavailable; try again."}, status=503)
    return await render(request, "outbox", context)
