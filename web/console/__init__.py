"""The staff console, at /console: sign-in, the dashboard, the template editor, the outbox, handed-over conversations,
claims, shoppers' data requests."""

from __future__ import annotations

from aiohttp import web

from parcels.storage.conversation_archive import SqlConversationArchive
from web.console import auth, claims, dashboard, editor, handoffs, outbox, privacy
from web.console.pages import PREFIX, security_headers
from web.console.previews import PREVIEWS, Previews
from web.console.sessions import setup_sessions

__all__ = ["PREFIX", "create_console"]


def _off(message: str) -> web.Application:
    app = web.Application()

    async def unavailable(_: web.Request) -> web.Response:
        return web.Response(status=503, text=message)

    app.router.add_route("*", "/{tail:.*}", unavailable)
    return app


def create_console(
    secret: str | None,
    cookie_secure: bool | None,
    failure_delay: float = 0.4,
    trusted_proxies: frozenset[str] = frozenset(),
) -> web.Application:
    """The console as a sub-application; without a secret it only says how to turn it on."""
    if not secret:
        return _off("503: the staff console is off: set CONSOLE_SECRET_KEY to turn it on")
    app = web.Application(middlewares=[security_headers])
    setup_sessions(app, secret, cookie_secure)
    app[auth.TRUSTED_PROXIES] = trusted_proxies
    app[auth.FAILURE_DELAY] = failure_delay
    app[PREVIEWS] = Previews()
    app.add_routes(auth.routes)
    app.add_routes(editor.routes)
    app.add_routes(outbox.routes)
    app.add_routes(handoffs.routes)
    app.add_routes(claims.routes)
    app.add_routes(dashboard.routes)
    app[privacy.ARCHIVE] = SqlConversationArchive()
    app.add_routes(privacy.routes)
    return app
