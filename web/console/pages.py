"""The console's pages (autoescaped, the sandboxed environment), who is signed in, and who may see what."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from parcels.agent_hours import current_agent_hours
from parcels.sign_in import staff_of_session
from parcels.staff import Role, StaffMember
from templates.renderer import environment
from web.console.sessions import Handler, csrf_token, session_token, take_flashes
from web.keys import UNIT_OF_WORK

PREFIX = "/console"
STAFF = web.RequestKey("console_staff", StaffMember)  # the signed-in staff member
EDITORS = (Role.MARKETER, Role.ADMIN)
LOCALES = ("en", "es")  # the first is the default

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update({k: v for k, v in SECURITY_HEADERS.items() if k not in error.headers})
        raise
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def staff_of(request: web.Request) -> StaffMember | None:
    return request.get(STAFF)


def console_locale(request: web.Request) -> str:
    """The staff member's language for numbers, money and dates: the first of ours their browser asks for."""
    for part in request.headers.get("Accept-Language", "")[:200].split(","):
        language = part.split(";")[0].strip().lower()[:2]
        if language in LOCALES:
            return language
    return LOCALES[0]


async def render(request: web.Request, name: str, context: dict[str, Any], status: int = 200) -> web.Response:
    staff = staff_of(request)
    variables = {
        "prefix": PREFIX,
        "locale": console_locale(request),
        "time_zone": current_agent_hours().time_zone.key,  # the agents' clock
        "staff": None if staff is None else {"name": staff.name, "email": staff.email, "role": str(staff.role)},
        "can_edit": staff is not None and staff.role in EDITORS,
        "csrf_token": await csrf_token(request),
        "flashes": await take_flashes(request),
        "error": None,
        **context,
    }
    # generate(), not render(): the renderer's budget (20,000 characters, 20,000 steps) is for marketers' messages;
    # a staff page with a long history or many samples outgrows it. The sandbox and the autoescaping still apply.
    html = "".join(environment().get_template(f"pages/console/{name}.html.j2").generate(variables))
    return web.Response(text=html, status=status, content_type="text/html")


def see_other(location: str) -> web.Response:
    """A redirect after a POST (303) or to the sign-in page."""
    return web.Response(status=303, headers={"Location": location})


def login_url(request: web.Request) -> str:
    return f"{PREFIX}/login?next={quote(request.path_qs, safe='')}"


def safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never another site (//evil.example, /\\evil.example)."""
    if not target or not target.startswith(PREFIX + "/") or target.startswith(("//", "/\\")) or "\\" in target:
        return None
    return target


async def signed_in_staff(request: web.Request) -> StaffMember | None:
    """Who this request's cookie signs in, per the database: None when signed out, expired or deactivated."""
    token = await session_token(request)
    if token is None:
        return None
    return await asyncio.to_thread(staff_of_session, request.config_dict[UNIT_OF_WORK], token, datetime.now(UTC))


def staff_only(
    *roles: Role, api: bool = False
) -> Callable[[Callable[[web.Request], Awaitable[web.StreamResponse]]], Handler]:
    """The handler needs a signed-in staff member (else the sign-in page, or 401 for the API) of one of ``roles``."""

    def wrap(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            staff = await signed_in_staff(request)
            if staff is None:
                if api:
                    return web.json_response({"error": "sign in first"}, status=401)
                return see_other(login_url(request))
            request[STAFF] = staff
            if roles and staff.role not in roles:
                if api:
                    return web.json_response({"error": "your role may not do this"}, status=403)
                return await render(request, "forbidden", {}, status=403)
            return await handler(request)

        return guarded

    return wrap
