"""Class 5: no input reaches a 500. The web process's OpenAPI description (``GET /api/openapi.json``) matches its
routes, and schemathesis fuzzes every operation from it, with valid and invalid data, against the real app
on a real port and the test database: 0 server errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from tests.processes import free_port
from web.app import create_app
from web.openapi import description
from web.settings import Settings

KEY, SECRET = "fuzz-key", "fuzz-hook-secret"
HEADERS = {"X-Api-Key": KEY, "X-Hook-Secret": SECRET}
EXAMPLES = 60  # per operation and mode

schema = schemathesis.openapi.from_dict(description())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES, allow_x00=True
)


def app_settings(port: int) -> Settings:
    return Settings(
        rasa_public_url="http://rasa.example:5005",
        tracking_api_key=KEY,
        back_office_api_key=KEY,
        consent_hook_secret=SECRET,
        console_secret="fuzz-console-secret",
        console_failure_delay=0.0,
        twilio_auth_token="fuzz-auth-token",
        status_callback_url=f"http://127.0.0.1:{port}/twilio/status",
        vendor_dir=Settings.from_environment().vendor_dir,
    )


@pytest.fixture(scope="module")
def live(migrated: Engine) -> Iterator[str]:
    """The web app on a free port, in its own thread and event loop, for the whole module."""
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(app_settings(port)))
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(20)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(20)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_the_description_names_every_api_route_and_nothing_else() -> None:
    app = create_app(app_settings(8080))
    served = {
        (resource.canonical, route.method.lower())
        for resource in app.router.resources()
        for route in resource
        if resource.canonical.startswith(("/api/", "/twilio/")) and route.method != "HEAD"
    }
    described = {
        (path, method)
        for path, operations in description()["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert served == described


def test_the_description_is_served(live: str) -> None:
    response = requests.get(f"{live}/api/openapi.json", timeout=10)
    assert response.status_code == 200 and response.json() == description()


@schema.parametrize()
def test_no_input_reaches_a_server_error(case: schemathesis.Case, live: str) -> None:
    response = case.call(base_url=live, headers=HEADERS, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500 or (response.status_code == 503 and "database" not in response.text), (
        response.status_code,
        response.text[:500],
    )


CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "text/plain",
    "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(
        [
            "/console/login",
            "/console/logout",
            "/console/api/preview",
            "/twilio/status",
            "/api/consent",
            "/api/shipments",
            "/console/templates/promise/web/es",
        ]
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
)
def test_no_body_of_any_type_reaches_a_server_error(live: str, path: str, content_type: str, body: bytes) -> None:
    """Every form or JSON endpoint, the console's included, with bytes that may be no form at all."""
    headers = {**HEADERS, "Content-Type": content_type} if content_type else HEADERS
    response = requests.post(f"{live}{path}", data=body, headers=headers, timeout=30, allow_redirects=False)
    assert response.status_code < 500, (response.status_code, response.text[:300])
