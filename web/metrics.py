"""The dashboard's figures as JSON (and any of their tables as CSV): ``GET /api/metrics/<section>``.

Here with the back office's API key; the console serves the same answers to a signed-in admin at
``/console/api/metrics/<section>`` (its session cookie is scoped to /console). The period is ``days`` (1 to
366, up to today; 30 by default) or ``from`` and ``to``; ``product`` narrows it to one product.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from parcels import dashboard
from parcels.agent_hours import current_agent_hours
from parcels.errors import Refused
from parcels.policy import current_policy
from parcels.storage.unit_of_work import UnitOfWork
from web.auth import error_response, refusal
from web.claims import KEY_VARIABLE
from web.keys import SETTINGS, UNIT_OF_WORK

routes = web.RouteTableDef()

SECTIONS = ("summary", "promises", "stages", "stages/parcels", "compensation", "messages", "conversations")
MESSAGES_ONLY = ("messages",)  # what marketers may see of the dashboard


def figures(uow: UnitOfWork, section: str, query: dict[str, str]) -> dict[str, Any]:
    """One section's figures for the period the query names."""
    policy, hours, now = current_policy(), current_agent_hours(), datetime.now(UTC)
    span = dashboard.period(policy, now, query.get("days"), query.get("from"), query.get("to"), query.get("product"))
    sections: dict[str, Callable[[], dict[str, Any]]] = {
        "summary": lambda: dashboard.summary(uow, span, now, policy, hours),
        "promises": lambda: dashboard.promises(uow, span, now, policy),
        "stages": lambda: dashboard.stages(uow, span, now, policy),
        "stages/parcels": lambda: dashboard.stage_parcels(
            uow, span, now, policy, _date(query.get("week")), _int(query.get("stage"))
        ),
        "compensation": lambda: dashboard.compensation(uow, span, now, policy, hours),
        "messages": lambda: dashboard.messages(uow, span),
        "conversations": lambda: dashboard.conversations(uow, span, now, hours, policy),
    }
    return sections[section]()


def _date(text: str | None) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise Refused("week is a date like 2026-11-30") from None


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        raise Refused("stage is a number from 1 to 7") from None


def as_csv(body: dict[str, Any], name: str | None, section: str) -> web.Response:
    tables = body.get("tables", {})
    if name not in tables:
        raise Refused(f"table is one of: {', '.join(tables) or 'none in this section'}")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(tables[name]["columns"])
    writer.writerows(tables[name]["rows"])
    period = body["period"]
    filename = f"{section.replace('/', '-')}-{name}-{period['from']}-{period['to']}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def answer(request: web.Request, uow: UnitOfWork, section: str) -> web.Response:
    query = {key: value[:40] for key, value in request.query.items()}
    body = await asyncio.to_thread(figures, uow, section, query)
    if query.get("format") == "csv":
        return as_csv(body, query.get("table"), section)
    return web.json_response(body)


@routes.get(r"/api/metrics/{section:[a-z]+(?:/parcels)?}")
async def metrics(request: web.Request) -> web.Response:
    refused = refusal(request, request.app[SETTINGS].back_office_api_key, KEY_VARIABLE, "the metrics API")
    if refused is not None:
        return refused
    section = request.match_info["section"]
    if section not in SECTIONS:
        return error_response(404, f"no metrics {section!r}: one of {', '.join(SECTIONS)}")
    return await answer(request, request.app[UNIT_OF_WORK], section)
