"""The web's one error middleware: what a use case refuses, and what is down, as answers a client can act on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.exc import DataError, OperationalError

from notifications.conversation import RasaUnavailable
from parcels.claims import ClaimNotFound, InvalidTransition
from parcels.handoffs import AlreadyTaken, HandoffNotFound, NotYours
from templates.validation import Problem
from templates.versions import PublishRefused, UnknownTemplate
from web.errors import api_errors

RAISED: dict[str, Exception] = {
    "claim": ClaimNotFound("no claim C-00000000"),
    "transition": InvalidTransition("the claim is paid: it cannot be rejected"),
    "handoff": HandoffNotFound(7),
    "taken": AlreadyTaken("conversation 7 was taken by Ana"),
    "held": NotYours("conversation 7 is held by Ana"),
    "template": UnknownTemplate("no template x/web/es"),
    "publish": PublishRefused([Problem("unknown_variable", "line 1: unknown variable 'nmae'", 1)]),
    "rasa": RasaUnavailable("connection refused"),
    "database": OperationalError("SELECT 1", {}, Exception("connection refused")),
    "value": DataError("INSERT", {}, Exception("value too long")),
    "bug": ZeroDivisionError("division by zero"),
}


def _app() -> web.Application:
    app = web.Application(middlewares=[api_errors])

    def raising(error: Exception) -> Callable[[web.Request], object]:
        async def handler(_: web.Request) -> web.Response:
            raise error

        return handler

    for name, error in RAISED.items():
        app.router.add_get(f"/api/{name}", raising(error))
        app.router.add_get(f"/console/{name}", raising(error))
    return app


@pytest.fixture
async def client(aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    return await aiohttp_client(_app())


@pytest.mark.parametrize(
    ("name", "status", "says"),
    [
        ("claim", 404, "no claim C-00000000"),
        ("transition", 409, "cannot be rejected"),
        ("handoff", 404, "7"),
        ("taken", 409, "taken by Ana"),
        ("held", 409, "held by Ana"),
        ("template", 404, "no template"),
        ("publish", 422, "unknown variable"),
        ("rasa", 503, "assistant's server cannot be reached"),
        ("database", 503, "database is unavailable"),
        ("value", 422, "cannot be stored"),
        ("bug", 500, "incident"),
    ],
)
async def test_each_kind_of_failure_is_answered_with_its_status_and_sentence(
    client: TestClient, name: str, status: int, says: str
) -> None:
    api = await client.get(f"/api/{name}")
    assert api.status == status
    assert api.content_type == "application/json"
    assert says in (await api.json())["error"]
    page = await client.get(f"/console/{name}")
    assert page.status == status
    assert page.content_type == "text/html"
    assert says.replace("'", "&#x27;") in await page.text()


async def test_a_page_never_echoes_markup_it_was_given(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    app = web.Application(middlewares=[api_errors])

    async def handler(_: web.Request) -> web.Response:
        raise ClaimNotFound("<script>alert(1)</script>")

    app.router.add_get("/console/x", handler)
    client = await aiohttp_client(app)
    text = await (await client.get("/console/x")).text()
    assert "<script>" not in text and "&lt;script&gt;" in text
