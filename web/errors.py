"""The last word on a request that failed: a refusal the client can act on, never a bare 500 page.

A value the database refuses (``DataError``) is the request's fault: 422, and sending it again will not
help. Any other database error means it is unavailable: 503, try again. Anything else is our bug: it is
logged with an incident id that the 500 answer gives, so that the client can report it.
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import DataError, SQLAlchemyError

from web.auth import error_response

log = logging.getLogger(__name__)

UNSTORABLE = "a value in the request cannot be stored; nothing was stored: correct it, then send it again"


def _refusal(error: SQLAlchemyError, unavailable: str) -> tuple[int, str]:
    return (422, UNSTORABLE) if isinstance(error, DataError) else (503, unavailable)


def database_error(error: SQLAlchemyError, unavailable: str) -> web.Response:
    """The API's answer to a database error: 422 for a value it cannot store, else 503 saying ``unavailable``."""
    return error_response(*_refusal(error, unavailable))


def _answer(request: web.Request, status: int, message: str) -> web.Response:
    """JSON for the APIs, plain text for a page."""
    if "/api/" in request.path or request.path.startswith("/twilio/"):
        return error_response(status, message)
    return web.Response(status=status, text=f"{status}: {message}")


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except SQLAlchemyError as error:
        log.exception("%s %s: database error", request.method, request.path)
        return _answer(request, *_refusal(error, "the database is unavailable; try again in a moment"))
    except Exception:
        incident = secrets.token_hex(4)
        log.exception("%s %s failed (incident %s)", request.method, request.path, incident)
        return _answer(request, 500, f"something went wrong on our side (incident {incident}); please report it")
