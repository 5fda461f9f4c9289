"""The console's sessions: an encrypted cookie (Fernet, key derived from CONSOLE_SECRET_KEY) that holds the
token of a session kept in the database (``parcels.sign_in``), and CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography import fernet

from parcels.sign_in import SESSION_LIFETIME
from web.forms import read_form

COOKIE_NAME = "console_session"
COOKIE_PATH = "/console"
LIFETIME = int(SESSION_LIFETIME.total_seconds())  # the cookie's; the session itself ends in the database
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fernet_key(secret: str) -> fernet.Fernet:
    """A Fernet key derived from the console's secret (any length), kept apart from other uses of it."""
    digest = hashlib.sha256(b"parcels-console-session\x00" + secret.encode()).digest()
    return fernet.Fernet(base64.urlsafe_b64encode(digest))


def cookie_should_be_secure(request: web.Request, setting: bool | None) -> bool:
    """HTTPS always; otherwise the setting, which by default (None) is on unless the host is local."""
    if request.secure:
        return True
    if setting is not None:
        return setting
    return (request.url.host or "").lower() not in LOCAL_HOSTS


def secure_cookie_middleware(setting: bool | None) -> Middleware:
    """Runs outside the session middleware: marks the session cookie Secure per request."""

    def mark(request: web.Request, response: web.StreamResponse | web.HTTPException) -> None:
        morsel = response.cookies.get(COOKIE_NAME)
        if morsel is not None and cookie_should_be_secure(request, setting):
            morsel["secure"] = True

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            mark(request, error)
            raise
        mark(request, response)
        return response

    return middleware


def setup_sessions(app: web.Application, secret: str, cookie_secure: bool | None) -> None:
    storage = EncryptedCookieStorage(
        fernet_key(secret),
        cookie_name=COOKIE_NAME,
        path=COOKIE_PATH,
        max_age=LIFETIME,
        httponly=True,
        samesite="Lax",
    )
    app.middlewares.append(secure_cookie_middleware(cookie_secure))
    app.middlewares.append(session_middleware(storage))
    app.middlewares.append(csrf_middleware)


# --------------------------------------------------------------------------- CSRF


async def csrf_token(request: web.Request) -> str:
    """This session's CSRF token, made on first use."""
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _same(given: str | None, expected: object) -> bool:
    return isinstance(given, str) and isinstance(expected, str) and hmac.compare_digest(given, expected)


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every unsafe request carries the session's token, as a form field or the X-CSRF-Token header."""
    if request.method in SAFE_METHODS:
        return await handler(request)
    session = await get_session(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await read_form(request)
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not _same(given, session.get("csrf")):
        return web.Response(
            status=403, text="403: the form has expired or did not come from the console; reload the page and try again"
        )
    return await handler(request)


# --------------------------------------------------------------------------- sign-in state


async def start_signed_in(request: web.Request, token: str) -> Session:
    """A fresh cookie session (new CSRF token) holding the token of a session just opened in the database."""
    session = await new_session(request)
    session["token"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    return session


async def session_token(request: web.Request) -> str | None:
    """The database session's token this cookie holds, if any (it may have been revoked since)."""
    token = (await get_session(request)).get("token")
    return token if isinstance(token, str) and len(token) <= 64 else None


async def flash(request: web.Request, kind: str, text: str) -> None:
    session = await get_session(request)
    session["flash"] = [*session.get("flash", []), [kind, text]][-5:]


async def take_flashes(request: web.Request) -> list[dict[str, str]]:
    session = await get_session(request)
    notes = session.pop("flash", None) or []
    return [{"kind": kind, "text": text} for kind, text in notes]
