"""Assemble the aiohttp application."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from web import chat, claims, ingestion
from web.keys import SETTINGS
from web.settings import Settings

STATIC_DIR = Path(__file__).with_name("static")
MAX_BODY = 16 * 1024 * 1024


def create_app(settings: Settings | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings or Settings.from_environment()
    app.add_routes(chat.routes)
    app.add_routes(ingestion.routes)
    app.add_routes(claims.routes)
    app.router.add_static("/static/vendor", app[SETTINGS].vendor_dir)
    app.router.add_static("/static", STATIC_DIR)
    return app
