"""The operations dashboard at /console/dashboard, and the figures it draws from at /console/api/metrics/<section>.

Admins see every section; marketers see the messages; agents are refused. The page's charts are drawn in the
browser from the same answers the back office gets at ``/api/metrics/<section>`` (``web.metrics``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels import dashboard
from parcels.agent_hours import current_agent_hours
from parcels.errors import Refused
from parcels.policy import current_policy
from parcels.staff import Role
from parcels.storage.unit_of_work import UnitOfWork
from web.console.pages import STAFF, render, staff_only
from web.keys import UNIT_OF_WORK
from web.metrics import MESSAGES_ONLY, SECTIONS, answer

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

VIEWERS = (Role.ADMIN, Role.MARKETER)
DAY_CHOICES = (7, 30, 90, 365)


def sections_for(role: Role) -> tuple[str, ...]:
    """The sections a role may see: all of them for an admin, the messages for a marketer."""
    return SECTIONS if role is Role.ADMIN else MESSAGES_ONLY


def page_context(query: dict[str, str], role: Role) -> dict[str, Any]:
    """The picker's choices and the period the page asks the API for (checked here, so a bad one is said once)."""
    policy = current_policy()
    span = dashboard.period(
        policy, datetime.now(UTC), query.get("days"), query.get("from"), query.get("to"), query.get("product")
    )
    custom = "from" in query or "to" in query
    return {
        "period": span.as_dict(),
        "first": span.first,
        "last": span.last,
        "days": None if custom else int(query.get("days") or 30),
        "day_choices": DAY_CHOICES,
        "custom": custom,
        "products": [(code, product.name.get("en") or code) for code, product in policy.products.items()],
        "sections": sections_for(role),
    }


def headline(uow: UnitOfWork) -> dict[str, Any]:
    """The last 30 days' headline figures, for the console's home page."""
    policy, hours, now = current_policy(), current_agent_hours(), datetime.now(UTC)
    span = dashboard.period(policy, now)
    figures = dashboard.summary(uow, span, now, policy, hours)
    return figures | {
        "first": span.first,
        "last": span.last,
        "attend_within_minutes": int(hours.attend_within.total_seconds() // 60),
    }


@routes.get("/dashboard")
@staff_only(*VIEWERS)
async def dashboard_page(request: web.Request) -> web.StreamResponse:
    asked = ("days", "from", "to", "product")  # an empty field of the picker asks for nothing
    query = {key: value[:40] for key, value in request.query.items() if key in asked and value}
    try:
        context = page_context(query, request[STAFF].role)
    except Refused as error:
        return await render(request, "error", {"error": f"{error}."}, status=400)
    return await render(request, "dashboard", context)


@routes.get(r"/api/metrics/{section:[a-z]+(?:/parcels)?}")
@staff_only(*VIEWERS, api=True)
async def dashboard_figures(request: web.Request) -> web.StreamResponse:
    section = request.match_info["section"]
    if section not in SECTIONS:
        return web.json_response({"error": f"no metrics {section!r}: one of {', '.join(SECTIONS)}"}, status=404)
    if section not in sections_for(request[STAFF].role):
        return web.json_response({"error": "your role may not see this part of the dashboard"}, status=403)
    try:
        return await answer(request, request.config_dict[UNIT_OF_WORK], section)
    except SQLAlchemyError:
        log.exception("console: reading the dashboard's %s failed", section)
        return web.json_response({"error": "the database is unavailable; try again"}, status=503)


async def home_headline(request: web.Request) -> dict[str, Any] | None:
    """The headline for an admin's home page; None for anyone else, or when the database cannot answer."""
    if request[STAFF].role is not Role.ADMIN:
        return None
    try:
        return await asyncio.to_thread(headline, request.config_dict[UNIT_OF_WORK])
    except SQLAlchemyError:
        log.exception("console: reading the headline figures failed")
        return None
