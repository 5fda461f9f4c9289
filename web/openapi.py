"""``GET /api/openapi.json``: the description of the web process's APIs (``web/openapi.yml``).

``tests/integration/security/test_api_fuzz.py`` checks it against the routes and fuzzes every operation from it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

SPEC_FILE = Path(__file__).with_name("openapi.yml")
routes = web.RouteTableDef()


@cache
def description() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8")))


@routes.get("/api/openapi.json")
async def openapi(_: web.Request) -> web.Response:
    return web.json_response(description())
