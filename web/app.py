"""Assemble the aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from notifications.conversation import RasaConversations
from parcels.agent_hours import current_agent_hours
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.renderer import set_source_provider
from templates.versions import source_provider
from web import chat, claims, consent, inbox, ingestion, metrics, openapi, person_requests, twilio_status
from web.console import PREFIX, create_console
from web.errors import api_errors
from web.keys import RASA, SETTINGS, UNIT_OF_WORK
from web.settings import Settings

STATIC_DIR = Path(__file__).with_name("static")
MAX_BODY = 16 * 1024 * 1024


async def _use_published_templates(app: web.Application) -> None:
    """Marketers' published versions override the shipped template files (after ``_storage`` has run)."""
    set_source_provider(source_provider(app[UNIT_OF_WORK]))


async def _check_agent_hours(_: web.Application) -> None:
    """A mistake in the agents' hours stops start-up with the field and the reason."""
    current_agent_hours()


async def _storage(app: web.Application) -> AsyncIterator[None]:
    """The unit of work every handler uses, built once as the app starts (``DATABASE_URL``)."""
    app[UNIT_OF_WORK] = SqlUnitOfWork()
    yield


async def _close_rasa(app: web.Application) -> None:
    await app[RASA].close()


async def _to_console(_: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": f"{PREFIX}/"})


def create_app(settings: Settings | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[api_errors])
    app[SETTINGS] = settings = settings or Settings.from_environment()
    app[RASA] = RasaConversations(settings.rasa_url, settings.rasa_token)
    app.cleanup_ctx.append(_storage)
    app.on_cleanup.append(_close_rasa)
    app.on_startup.append(_use_published_templates)
    app.on_startup.append(_check_agent_hours)
    app.add_routes(chat.routes)
    app.add_routes(ingestion.routes)
    app.add_routes(claims.routes)
    app.add_routes(person_requests.routes)
    app.add_routes(metrics.routes)
    app.add_routes(consent.routes)
    app.add_routes(inbox.routes)
    app.add_routes(twilio_status.routes)
    app.add_routes(openapi.routes)
    app.router.add_get(PREFIX, _to_console)
    app.add_subapp(
        PREFIX,
        create_console(
            settings.console_secret,
            settings.console_cookie_secure,
            failure_delay=settings.console_failure_delay,
            trusted_proxies=settings.trusted_proxies,
        ),
    )
    app.router.add_static("/static/vendor", app[SETTINGS].vendor_dir)
    app.router.add_static("/static/charts", app[SETTINGS].charts_dir)
    app.router.add_static("/static", STATIC_DIR)
    return app
