"""Signing in to and out of the console."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import UTC, datetime

from aiohttp import web
from aiohttp_session import get_session

from parcels.sign_in import attempt_sign_in, open_session, revoke_session
from parcels.staff import MAX_PASSWORD, Role, normalise_email
from parcels.text import bad_character
from web.clients import client_address
from web.console.dashboard import home_headline
from web.console.pages import EDITORS, PREFIX, STAFF, render, safe_next, see_other, signed_in_staff, staff_only
from web.console.sessions import flash, session_token, start_signed_in
from web.forms import read_form
from web.keys import UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

TRUSTED_PROXIES = web.AppKey("console_trusted_proxies", frozenset[str])  # whose X-Forwarded-For is believed
FAILURE_DELAY = web.AppKey("console_failure_delay", float)  # seconds added to every failed sign-in
WRONG = "wrong email or password"


def _home_for(role: str) -> str:
    """Marketers start at their templates; admins at the dashboard's headline; agents at their home."""
    return f"{PREFIX}/templates" if role == Role.MARKETER else f"{PREFIX}/"


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    if await signed_in_staff(request) is not None and (target := safe_next(request.query.get("next"))):
        return see_other(target)
    return await render(request, "login", {"next": safe_next(request.query.get("next")) or "", "email": ""})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await read_form(request)
    email = normalise_email(str(form.get("email", "")))[:254]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    target = safe_next(str(form.get("next", "")))
    context = {"next": target or "", "email": email}
    if bad_character(email) is not None:
        context.update(email="", error="the email holds characters an email never has")
        return await render(request, "login", context, status=400)
    trusted_proxies = request.app[TRUSTED_PROXIES]
    address = client_address(request, trusted_proxies)
    uow = request.config_dict[UNIT_OF_WORK]
    outcome = await asyncio.to_thread(attempt_sign_in, uow, email, password, address, datetime.now(UTC))
    if outcome.locked:
        minutes = max(1, math.ceil(outcome.wait.total_seconds() / 60))
        log.warning("console: sign-in refused, too many failures for %r or from %s", email, address)
        context["error"] = f"too many failed sign-ins, for this email or from your address: try again in {minutes} min"
        return await render(request, "login", context, status=429)
    if outcome.staff is None:
        await asyncio.sleep(request.app[FAILURE_DELAY])
        log.info("console: failed sign-in for %r from %s", email, address)
        context["error"] = WRONG
        return await render(request, "login", context, status=401)
    staff = outcome.staff
    await start_signed_in(request, await asyncio.to_thread(open_session, uow, staff.id, datetime.now(UTC)))
    log.info("console: %s signed in (%s) from %s", staff.email, staff.role, address)
    return see_other(target or _home_for(staff.role))


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    if (token := await session_token(request)) is not None:
        await asyncio.to_thread(revoke_session, request.config_dict[UNIT_OF_WORK], token, datetime.now(UTC))
    session = await get_session(request)
    session.invalidate()
    await flash(request, "info", "You have signed out.")
    return see_other(f"{PREFIX}/login")


@routes.get("/")
@staff_only()
async def home(request: web.Request) -> web.StreamResponse:
    headline = await home_headline(request)
    return await render(request, "home", {"is_editor": request[STAFF].role in EDITORS, "headline": headline})
