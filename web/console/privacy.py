"""A shopper's data on request, for admins at /console/privacy: find what one key leads to, download it (JSON
or the readable page in the shopper's language), erase it after a confirmation that names what will go, and
the audit log of every request. Who asks is the signed-in admin."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from parcels import privacy
from parcels.errors import Refused
from parcels.policy import current_policy
from parcels.privacy_records import KeyKind, SubjectKey
from parcels.retention import current_retention
from parcels.staff import Role
from parcels.storage.conversation_archive import SqlConversationArchive
from templates.privacy_page import LANGUAGES, readable_export
from web.console.pages import STAFF, render, staff_only
from web.forms import read_form
from web.keys import UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

ARCHIVE = web.AppKey("conversation_archive", SqlConversationArchive)  # Rasa's tracker store (TRACKER_STORE_URL)
CONFIRMATION = "ERASE"
LOGGED = 100
_UNAVAILABLE = "A database is unavailable; nothing was done. Try again."


def counted(counts: dict[str, int]) -> str:
    """'1 claim · 2 conversation days · 3 claims kept without the person', or 'nothing'."""
    return " · ".join(f"{n} {_kind_words(kind, n)}" for kind, n in sorted(counts.items())) or "nothing"


def _kind_words(kind: str, n: int) -> str:
    words = kind.split("_")
    if n == 1:  # the first plural word says how many: "claims kept ...", "conversation days"
        plural = next((i for i, word in enumerate(words) if word.endswith("s")), None)
        if plural is not None:
            words[plural] = words[plural][:-1]
    return " ".join(words)


def _asked(form: Any) -> tuple[SubjectKey, str]:
    """The key and the ground a form names; Refused with what is wrong."""
    key = SubjectKey.parse(str(form.get("kind", ""))[:32], str(form.get("value", ""))[:200])
    return key, str(form.get("ground", ""))[:600]


async def _page(request: web.Request, context: dict[str, Any], status: int = 200) -> web.Response:
    try:
        logged = await asyncio.to_thread(privacy.audit_log, request.config_dict[UNIT_OF_WORK], LOGGED)
    except SQLAlchemyError:
        log.exception("console: reading the privacy log failed")
        logged = []
    base = dict.fromkeys(("found", "erased", "refused", "asked", "key"))
    base |= {"kinds": [str(k) for k in KeyKind], "logged": logged, "confirmation": CONFIRMATION, "counted": counted}
    return await render(request, "privacy", {**base, **context}, status=status)


@routes.get("/privacy")
@staff_only(Role.ADMIN)
async def privacy_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, {})


@routes.post("/privacy/{action:find|export|erase}")
@staff_only(Role.ADMIN)
async def privacy_request(request: web.Request) -> web.StreamResponse:
    action = request.match_info["action"]
    form = await read_form(request)
    asked = {name: str(form.get(name, ""))[:600] for name in ("kind", "value", "ground")}
    try:
        key, ground = _asked(form)
        if action == "erase" and str(form.get("confirm", "")).strip() != CONFIRMATION:
            raise Refused(f"type {CONFIRMATION} to confirm the erasure; nothing was erased")
        uow, archive, who, now = request.config_dict[UNIT_OF_WORK], request.app[ARCHIVE], request[STAFF].email, _now()
        if action == "find":
            answer = await asyncio.to_thread(privacy.find, uow, archive, key, who, ground, now)
            return await _page(request, {"found": answer, "asked": asked, "key": key})
        if action == "export":
            answer, document = await asyncio.to_thread(privacy.export, uow, archive, key, who, ground, now)
            return _download(answer, document, str(form.get("format", "json")), str(form.get("language", "")), now)
        answer = await asyncio.to_thread(privacy.erase, uow, archive, key, who, ground, now)
    except Refused as refused:
        return await _page(request, {"refused": str(refused), "asked": asked}, status=422)
    except SQLAlchemyError:
        log.exception("console: a privacy request failed")
        return await _page(request, {"refused": _UNAVAILABLE, "asked": asked}, status=503)
    log.info("console: %s erased %s %s (%s)", request[STAFF].email, key.kind, key.masked, answer.reference)
    return await _page(request, {"erased": answer, "key": key})


def _now() -> datetime:
    return datetime.now(UTC)


def _download(answer: privacy.Answer, document: dict[str, Any], form: str, language: str, at: datetime) -> web.Response:
    name = f"{answer.reference}.{'html' if form == 'html' else 'json'}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if form == "html":
        home = next(iter(current_policy().markets.values()))
        page = readable_export(
            answer.holdings, answer.reference, at, language if language in LANGUAGES else None, current_retention(),
            home.time_zone,
        )  # fmt: skip
        return web.Response(text=page, content_type="text/html", headers=headers)
    body = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    return web.Response(text=body, content_type="application/json", headers=headers)
