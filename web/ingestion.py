"""The operators' API: register shipments and ingest carriers' tracking events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels.ingest import IngestReport, RecordError, ingest_events
from parcels.shipments import register_shipments
from web.auth import error_response as _error
from web.auth import refusal
from web.errors import database_error
from web.json_body import BadBody, read_json
from web.keys import SETTINGS, UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


def _authorised(request: web.Request) -> web.Response | None:
    return refusal(request, request.app[SETTINGS].tracking_api_key, "TRACKING_API_KEY", "the ingestion API")


async def _batch(request: web.Request, field: str) -> list[Any] | web.Response:
    try:
        body = await read_json(request)
    except BadBody as error:
        return _error(400, str(error))
    records = body.get(field) if isinstance(body, dict) else body
    if not isinstance(records, list):
        return _error(400, f'send a JSON list, or an object {{"{field}": [...]}}')
    return records


async def _run(request: web.Request, field: str, use_case: Callable[[Sequence[Any]], IngestReport]) -> web.Response:
    if (refusal := _authorised(request)) is not None:
        return refusal
    records = await _batch(request, field)
    if isinstance(records, web.Response):
        return records
    try:
        report = await asyncio.to_thread(use_case, records)
    except RecordError as error:
        return _error(413, str(error))
    except SQLAlchemyError as error:
        log.exception("storing a batch of %s failed", field)
        return database_error(error, "the database is unavailable; nothing was stored, send the batch again")
    if report.rejected and not (report.accepted or report.duplicates):
        status = 422
    elif report.rejected:
        status = 207
    else:
        status = 200
    return web.json_response(report.as_dict(), status=status)


@routes.post("/api/tracking/events")
async def post_events(request: web.Request) -> web.Response:
    uow = request.app[UNIT_OF_WORK]
    return await _run(request, "events", lambda records: ingest_events(uow, records, datetime.now(UTC)))


@routes.post("/api/shipments")
async def post_shipments(request: web.Request) -> web.Response:
    uow = request.app[UNIT_OF_WORK]
    return await _run(request, "shipments", lambda records: register_shipments(uow, records))
