"""Signing in to and out of the console."""

from __future__ import annotations

import asyncio
import logging
import math

from aiohttp import web
from aiohttp_session import get_session

from parcels.staff import MAX_PASSWORD, normalise_email, verify_staff
from web.console.pages import EDITORS, PREFIX, STAFF, render, safe_next, see_other, staff_only
from web.console.sessions import Throttle, flash, signed_in_id, start_signed_in

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

THROTTLE = web.AppKey("console_throttle", Throttle)
FAILURE_DELAY = web.AppKey("console_failure_delay", float)  # seconds added to every failed sign-in
WRONG = "wrong email or password"


def _home_for(role: str) -> str:
    return f"{PREFIX}/templates" if role in EDITORS else f"{PREFIX}/"


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    if await signed_in_id(request) is not None and (target := safe_next(request.query.get("next"))):
        return see_other(target)
    return await render(request, "login", {"next": safe_next(request.query.get("next")) or "", "email": ""})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email = normalise_email(str(form.get("email", "")))[:254]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    target = safe_next(str(form.get("next", "")))
    context = {"next": target or "", "email": email}
    throttle = request.app[THROTTLE]
    if (wait := throttle.wait_left(email)) > 0:
        minutes = max(1, math.ceil(wait / 60))
        context["error"] = f"too many failed sign-ins for this email: try again in {minutes} minutes"
        return await render(request, "login", context, status=429)
    staff = await asyncio.to_thread(verify_staff, email, password) if email and password else None
    if staff is None:
        throttle.failed(email)
        await asyncio.sleep(request.app[FAILURE_DELAY])
        log.info("console: failed sign-in for %r", email)
        context["error"] = WRONG
        return await render(request, "login", context, status=401)
    throttle.succeeded(email)
    await start_signed_in(request, staff.id)
    log.info("console: %s signed in (%s)", staff.email, staff.role)
    return see_other(target or _home_for(staff.role))


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()
    await flash(request, "info", "You have signed out.")
    return see_other(f"{PREFIX}/login")


@routes.get("/")
@staff_only()
async def home(request: web.Request) -> web.StreamResponse:
    return await render(request, "home", {"is_editor": request[STAFF].role in EDITORS})
