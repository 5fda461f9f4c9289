"""The notifier's outbox, for operators (agents and admins): every message and its status, phone numbers masked."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from notifications.outbox import Channel, Status, Unrenderable, render_row
from parcels.outbox_records import OutboxMessage
from parcels.staff import Role
from parcels.storage.unit_of_work import UnitOfWork
from web.console.pages import render, staff_only
from web.keys import UNIT_OF_WORK

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


def message_text(notification: OutboxMessage) -> str:
    """What the shopper reads (or would have read): the message rendered for its channel."""
    try:
        return render_row(notification).text
    except Unrenderable as error:
        return f"(cannot be rendered: {error})"


def via(notification: OutboxMessage) -> str:
    if notification.provider_sid and notification.provider_sid.startswith("SINK"):
        return "local sink (no Twilio credentials)"
    if notification.provider_sid:
        return f"Twilio {notification.provider_sid}"
    return ""


def outbox(uow: UnitOfWork, status: Status | None) -> dict[str, Any]:
    with uow.begin() as repos:
        counts = repos.outbox.counts()
        recent = repos.outbox.recent(status, PAGE)
    rows = [
        {
            "kind": n.kind,
            "number": number,
            "channel": n.channel,
            "to": None if n.channel in (Channel.WEB, Channel.NONE) else masked(n.recipient),  # a web key: a credential
            "status": n.status,
            "reason": n.reason,
            "attempts": n.attempts,
            "not_before": n.not_before,
            "updated_at": n.updated_at,
            "sid": n.provider_sid,
            "via": via(n),
            "text": message_text(n) if n.channel != Channel.NONE else None,
        }
        for n, number in recent
    ]
    return {"counts": [(str(s), counts.get(s, 0)) for s in Status], "rows": rows, "status": status and str(status)}


@routes.get("/notifications")
@staff_only(*OPERATORS)
async def outbox_page(request: web.Request) -> web.StreamResponse:
    asked = request.query.get("status") or None
    if asked is not None and asked not in {str(s) for s in Status}:
        return await render(request, "error", {"error": f"Unknown status {asked!r}."}, status=400)
    status = Status(asked) if asked is not None else None
    try:
        context = await asyncio.to_thread(outbox, request.config_dict[UNIT_OF_WORK], status)
    except SQLAlchemyError:
        log.exception("console: reading the outbox failed")
        return await render(request, "error", {"error": "The database is unavailable; try again."}, status=503)
    return await render(request, "outbox", context)
