"""Class 6: one marketer cannot slow the web process. Validation has one time budget for all its samples, previews
run in a worker process with one running per marketer, and every template error is a problem on its line,
never a 500; the editor opens any saved draft."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from parcels.staff import create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork
from templates.manifest import samples
from templates.preview import preview
from templates.renderer import MAX_SECONDS
from templates.validation import validate
from templates.versions import save_draft
from tests.integration.test_console import MARKETER, PASSWORD, csrf_of, sign_in
from tests.integration.test_console import settings as console_settings
from web.app import create_app

# Each render sorts thousands of words a few thousand times: seconds of work, well inside the step ceiling.
SLOW = (
    "{% for a in range(1000) %}{% for b in range(19) %}{% set _ = ('x ' * 9000).split()|sort %}{% endfor %}{% endfor %}"
)
EDITOR = "/console/templates/promise/web/es"
BROKEN_SOURCES = [
    "{{ 1 / 0 }}",
    "{{ 'a' + 1 }}",
    "{{ 10 ** 10000 }}",
    "{{ (" * 400 + "1" + ")" * 400 + " }}",
    "{% if %}",
    "{{ number.__class__ }}",
    "{{ number | money }}",
    "{{ promised_date | date('yyyy-MM-dd-QQQQQQQQ' * 100) }}",
    "{{ tiers | sum(start=[]) }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% for x in range(10**6) %}{% endfor %}",
    "{{ x }" * 2000,
    "{% raw %}",
    "\x00{{ number }}",
    SLOW,
]


def test_validation_has_one_time_budget_for_all_its_samples() -> None:
    assert len(samples("promise")) >= 10
    started = time.monotonic()
    problems = validate("promise", "web", "es", SLOW)
    elapsed = time.monotonic() - started
    assert any("too long to render" in problem.message for problem in problems)
    assert elapsed < 3 * MAX_SECONDS, f"{elapsed:.1f} s: each sample had its own budget"


@pytest.mark.parametrize("source", BROKEN_SOURCES, ids=range(len(BROKEN_SOURCES)))
def test_every_template_error_is_a_problem(source: str) -> None:
    result = preview("promise", "web", "es", source)
    assert not result["ok"] and result["problems"]
    assert all(problem["message"] for problem in result["problems"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["{{", "}}", "{%", "%}", "for", "if", "in", "range(", ")", "|", "date", "number", "'x'", "*"])
        | st.text(max_size=8),
        max_size=30,
    ).map("".join)
)
def test_no_source_makes_the_preview_raise(source: str) -> None:
    result = preview("parcel_status", "sms", "en", source)
    assert set(result) == {"ok", "text", "problems", "characters"}


@pytest.fixture
async def signed_in(aiohttp_client, db: Engine):  # type: ignore[no-untyped-def]
    """A marketer's client, signed in, and the CSRF token of the promise editor."""
    create_staff(SqlUnitOfWork(), MARKETER, "Marta Marketing", "marketer", PASSWORD)
    client = await aiohttp_client(create_app(console_settings()))
    assert (await sign_in(client)).status == 303
    return client, csrf_of(await (await client.get(EDITOR)).text())


async def post_preview(client, csrf: str, source: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    body = {"message": "promise", "channel": "web", "locale": "es", "source": source, "sample": 0}
    response = await client.post("/console/api/preview", json=body, headers={"X-CSRF-Token": csrf})
    return response.status, await response.json()


async def test_a_marketer_has_one_preview_running_at_a_time(signed_in) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in
    first, second = await asyncio.gather(post_preview(client, csrf, SLOW), post_preview(client, csrf, SLOW))
    statuses = sorted([first[0], second[0]])
    assert statuses == [200, 429], (first, second)
    done = first[1] if first[0] == 200 else second[1]
    assert any("too long to render" in problem["message"] for problem in done["problems"])


async def test_every_template_error_is_shown_never_a_500(signed_in) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in
    for source in BROKEN_SOURCES[:-1]:
        status, body = await post_preview(client, csrf, source)
        if "\x00" in source:  # JSON's reader refuses a NUL in text before the editor sees it
            assert status == 400 and body["error"]
        else:
            assert status == 200 and body["problems"], (source, body)
        form = {"source": source, "action": "publish", "csrf_token": csrf}
        response = await client.post(EDITOR, data=form, allow_redirects=False)
        expected = 303 if "\x00" in source else 422  # a NUL: refused before it is stored, said on the page
        assert response.status == expected, (source, response.status)


async def test_the_editor_opens_a_draft_that_cannot_render(signed_in) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in
    for source in BROKEN_SOURCES:
        if "\x00" in source:  # no database keeps a NUL: such a draft is refused, never stored
            with pytest.raises(ValueError, match="NUL"):
                save_draft(SqlUnitOfWork(), "promise", "web", "es", source, MARKETER, datetime.now(UTC), None)
            continue
        save_draft(SqlUnitOfWork(), "promise", "web", "es", source, MARKETER, datetime.now(UTC), None)
        response = await client.get(EDITOR)
        assert response.status == 200, (source, response.status)


async def test_a_draft_with_a_nul_is_refused_with_its_line(signed_in) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in
    for action in ("draft", "publish"):
        form = {"source": "{{ number }}\n\x00", "action": action, "csrf_token": csrf}
        response = await client.post(EDITOR, data=form)
        assert response.status == 200  # the editor again, after the redirect
        assert "Line 2 of the template holds a NUL character" in await response.text()
