"""The last word on a request that failed: a refusal the client can act on, never a bare 500 page.

What a use case refuses (``parcels.errors``) is answered with its own sentence: ``NotFound`` 404,
``Conflict`` 409, ``Refused`` 422. An assistant's server that cannot be reached is 503.
A value the database refuses (``DataError``) is the request's fault: 422, and sending it again will not
help. Any other database error means it is unavailable: 503, try again. Anything else is our bug: it is
logged with an incident id that the 500 answer gives, so that the client can report it.
"""

from __future__ import annotations

import html
import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import DataError, SQLAlchemyError

from notifications.conversation import RasaUnavailable
from parcels.errors import Conflict, NotFound, Refused
from web.auth import error_response

log = logging.getLogger(__name__)

UNSTORABLE = "a value in the request cannot be stored; nothing was stored: correct it, then send it again"


def _refusal(error: SQLAlchemyError, unavailable: str) -> tuple[int, str]:
    return (422, UNSTORABLE) if isinstance(error, DataError) else (503, unavailable)


def database_error(error: SQLAlchemyError, unavailable: str) -> web.Response:
    """The API's answer to a database error: 422 for a value it cannot store, else 503 saying ``unavailable``."""
    return error_response(*_refusal(error, unavailable))


REFUSALS: tuple[tuple[type[Exception], int, str], ...] = (
    (NotFound, 404, "no such thing here"),
    (Conflict, 409, "that does not fit its current state; reload and look again"),
    (Refused, 422, "that is not allowed"),
)
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status}</title>
<link rel="stylesheet" href="/static/console.css"></head>
<body><main class="page"><h1>{status}</h1><p class="flash flash--error">{message}</p>
<p><a href="javascript:history.back()">Back</a></p></main></body></html>"""


def _answer(request: web.Request, status: int, message: str) -> web.Response:
    """JSON for the APIs, a page for a page."""
    if "/api/" in request.path or request.path.startswith("/twilio/"):
        return error_response(status, message)
    page = PAGE.format(status=status, message=html.escape(message))
    return web.Response(status=status, text=page, content_type="text/html")


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (NotFound, Conflict, Refused) as error:
        status, default = next((code, said) for kind, code, said in REFUSALS if isinstance(error, kind))
        return _answer(request, status, str(error) or default)
    except RasaUnavailable:
        log.warning("%s %s: the assistant's server cannot be reached", request.method, request.path)
        return _answer(request, 503, "the assistant's server cannot be reached; try again in a moment")
    except SQLAlchemyError as error:
        log.exception("%s %s: database error", request.method, request.path)
        return _answer(request, *_refusal(error, "the database is unavailable; try again in a moment"))
    except Exception:
        incident = secrets.token_hex(4)
        log.exception("%s %s failed (incident %s)", request.method, request.path, incident)
        return _answer(request, 500, f"something went wrong on our side (incident {incident}); please report it")
