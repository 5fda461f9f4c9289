"""The customer's web chat page, in the shopper's language."""

from __future__ import annotations

import logging
import re

from aiohttp import web

from parcels.language import language_hint
from templates.renderer import DEFAULT_LOCALE, render_page
from web.keys import SETTINGS

routes = web.RouteTableDef()


def page_locale(request: web.Request) -> str:
    """``?lang=`` first, then the browser's preferred language we speak."""
    if hint := language_hint(request.query.get("lang")):
        return hint
    for part in request.headers.get("Accept-Language", "").split(","):
        if hint := language_hint(part.split(";")[0]):
            return hint
    return DEFAULT_LOCALE


@routes.get("/")
async def chat_page(request: web.Request) -> web.Response:
    locale = page_locale(request)
    html = render_page("chat", locale, {"rasa_url": request.app[SETTINGS].rasa_public_url})
    return web.Response(text=html, content_type="text/html", headers={"Content-Language": locale})


@routes.get("/healthz")
async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


class QuietHealthChecks(logging.Filter):
    """The entry point asks ``/healthz`` every second: an answered check is not an access log line, a failed one is."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not re.search(r'"GET /healthz HTTP/[0-9.]+" 200 ', record.getMessage())
