"""The marketers' template editor: the catalogue, one template's editor with a live preview, drafts, publishing,
history, comparing and rolling back."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from parcels.check import shipment_variables
from parcels.policy import current_policy
from parcels.storage.unit_of_work import UnitOfWork
from parcels.tracking_numbers import find_tracking_numbers
from templates.manifest import manifest, missing_locales, samples
from templates.versions import (
    MAX_SOURCE,
    PublishRefused,
    Version,
    VersionNotFound,
    VersionStatus,
    check_key,
    diff,
    get_version,
    history,
    keep_draft,
    publish_text,
    rollback,
    save_draft,
    shipped_source,
    unstorable,
)
from web.console.pages import EDITORS, PREFIX, STAFF, render, see_other, staff_only
from web.console.previews import PREVIEWS, PreviewRefused
from web.console.sessions import flash
from web.forms import read_form
from web.json_body import BadBody, read_json
from web.keys import UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

KEY = "/templates/{message}/{channel}/{locale}"
# Sample fields a marketer is never shown, even though samples are made-up data.
PRIVATE_FIELDS = ("phone", "address", "street", "email", "postal_code")


# --------------------------------------------------------------------------- reading the state of a template


@dataclass(frozen=True, slots=True)
class State:
    """One message x channel x locale: the version in use (None: the shipped file), a waiting draft, all versions."""

    in_use: Version | None
    draft: Version | None
    versions: list[Version]


def state_of(uow: UnitOfWork, message: str, channel: str, locale: str) -> State:
    versions = history(uow, message, channel, locale)
    published = [v for v in versions if v.status == VersionStatus.PUBLISHED]
    in_use = max(published, key=lambda v: (v.published_at, v.id)) if published else None
    newest = versions[0] if versions else None
    waiting = newest if newest is not None and newest.status == VersionStatus.DRAFT else None
    return State(in_use=in_use, draft=waiting, versions=versions)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def version_view(version: Version, in_use: Version | None) -> dict[str, Any]:
    return {
        "id": version.id,
        "number": version.number,
        "status": str(version.status),
        "in_use": in_use is not None and version.id == in_use.id,
        "author": version.author,
        "comment": version.comment or "",
        "created": _when(version.created_at),
        "published": _when(version.published_at),
    }


def catalogue(uow: UnitOfWork) -> tuple[list[str], list[dict[str, Any]]]:
    """The channels, and per message its description and, by channel, each locale's state."""
    channels = sorted(
        {c for spec in manifest().values() for c in spec["channels"]}, key=["web", "whatsapp", "sms"].index
    )
    rows = []
    languages = current_policy().languages
    for message, spec in manifest().items():
        cells: dict[str, list[dict[str, Any]]] = {channel: [] for channel in channels}
        missing: dict[str, list[str]] = {}
        for channel in spec["channels"]:
            if gaps := missing_locales(message, channel, languages):
                missing[channel] = gaps
            for locale in spec["locales"]:
                state = state_of(uow, message, channel, locale)
                cells[channel].append(
                    {
                        "channel": channel,
                        "locale": locale,
                        "in_use": state.in_use and version_view(state.in_use, state.in_use),
                        "draft": state.draft and version_view(state.draft, state.in_use),
                    }
                )
        rows.append(
            {"message": message, "description": spec.get("description", ""), "cells": cells, "missing": missing}
        )
    return channels, rows


def sample_label(index: int, sample: dict[str, Any]) -> str:
    facts = [str(sample[name]) for name in ("number", "progress", "outcome", "problem", "form") if sample.get(name)]
    return f"{index + 1}. " + " · ".join(facts[:3]) if facts else f"sample {index + 1}"


def shown_sample(sample: dict[str, Any]) -> str:
    """The sample's data as a marketer sees it: JSON, with private fields masked."""
    masked = {name: "•••" if any(part in name for part in PRIVATE_FIELDS) else value for name, value in sample.items()}
    return json.dumps(masked, ensure_ascii=False, indent=2, default=str)


# --------------------------------------------------------------------------- the preview


def real_variables(uow: UnitOfWork, message: str, number: str) -> dict[str, Any] | None:
    """A real shipment's facts, limited to the variables the message declares (None: no such shipment)."""
    found = shipment_variables(uow, number, datetime.now(UTC))
    if found is None:
        return None
    declared = manifest()[message]["variables"]
    return {name: value for name, value in found.items() if name in declared}


async def preview_for(
    request: web.Request, message: str, channel: str, locale: str, source: str, sample: int, number: str | None = None
) -> dict[str, Any]:
    """The preview of ``source`` with a sample, or a real parcel's facts (looked up here, rendered by a worker)."""
    variables, problems = None, []
    if number:
        variables = await asyncio.to_thread(real_variables, request.config_dict[UNIT_OF_WORK], message, number)
        if variables is None:
            problems.append({"kind": "shipment", "message": f"no shipment {number}", "line": None})
    staff = request[STAFF]
    return await request.app[PREVIEWS].run(staff.id, message, channel, locale, source, sample, variables, problems)


async def with_preview(request: web.Request, context: dict[str, Any]) -> dict[str, Any]:
    """The editor page's context with the preview of its source (or why there is none now)."""
    args = (context["message"], context["channel"], context["locale"], context["source"], context["sample"])
    try:
        context["preview"] = await preview_for(request, *args)
    except PreviewRefused as refused:
        problem = {"kind": "preview", "message": f"No preview now: {refused}.", "line": None}
        context["preview"] = {"ok": False, "text": None, "problems": [problem], "characters": 0}
    return context


@routes.post("/api/preview")
@staff_only(*EDITORS, api=True)
async def preview_api(request: web.Request) -> web.StreamResponse:
    try:
        body = await read_json(request)
    except BadBody as error:
        return web.json_response({"error": str(error)}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "send a JSON object"}, status=400)
    message, channel, locale = body.get("message"), body.get("channel"), body.get("locale")
    source, sample = body.get("source"), body.get("sample", 0)
    number = body.get("tracking_number") or None
    if not (
        isinstance(message, str)
        and isinstance(channel, str)
        and isinstance(locale, str)
        and isinstance(source, str)
        and isinstance(sample, int)
    ):
        return web.json_response(
            {"error": "send message, channel, locale and source as text, sample as a number"}, status=400
        )
    if number is not None and not (isinstance(number, str) and len(number) <= 40):
        return web.json_response({"error": "tracking_number must be a tracking number"}, status=400)
    if number is not None:
        candidates = find_tracking_numbers(number)
        if len(candidates) != 1 or not candidates[0].valid:
            return web.json_response({"error": f"{number!r} is not a valid tracking number"}, status=400)
        number = candidates[0].number
    if len(source) > MAX_SOURCE:
        return web.json_response({"error": f"the template is longer than {MAX_SOURCE} characters"}, status=400)
    check_key(message, channel, locale)
    try:
        result = await preview_for(request, message, channel, locale, source, sample, number)
    except PreviewRefused as refused:
        return web.json_response({"error": str(refused)}, status=refused.status)
    return web.json_response(result)


# --------------------------------------------------------------------------- pages


@routes.get("/templates")
@staff_only(*EDITORS)
async def catalogue_page(request: web.Request) -> web.StreamResponse:
    channels, rows = await asyncio.to_thread(catalogue, request.config_dict[UNIT_OF_WORK])
    return await render(request, "catalogue", {"channels": channels, "rows": rows})


def _key_of(request: web.Request) -> tuple[str, str, str]:
    info = request.match_info
    message, channel, locale = info["message"], info["channel"], info["locale"]
    check_key(message, channel, locale)  # UnknownTemplate: the error middleware's 404 page says which
    return message, channel, locale


def _compare(
    uow: UnitOfWork, message: str, channel: str, locale: str, state: State, first: str, second: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The diff of two versions, named by id, ``shipped`` or ``current``; or an error."""

    def text_of(name: str) -> tuple[str, str]:
        if name == "shipped":
            return shipped_source(message, channel, locale), "shipped file"
        if name == "current":
            if state.in_use is None:
                return shipped_source(message, channel, locale), "in use (shipped file)"
            return state.in_use.source, f"in use (version {state.in_use.number})"
        if not name.isdigit():
            raise VersionNotFound(name)
        version = get_version(uow, int(name))
        if (version.message, version.channel, version.locale) != (message, channel, locale):
            raise VersionNotFound(name)
        return version.source, f"version {version.number}"

    try:
        (before, before_name), (after, after_name) = text_of(first), text_of(second)
    except VersionNotFound:
        return None, "there is no such version of this template"
    lines = []
    for line in diff(before, after, before_name, after_name):
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append({"kind": kind, "text": line})
    return {"before": before_name, "after": after_name, "lines": lines, "first": first, "second": second}, None


def editor_context(
    uow: UnitOfWork, message: str, channel: str, locale: str, query: dict[str, str], source: str | None = None
) -> dict[str, Any]:
    spec = manifest()[message]
    state = state_of(uow, message, channel, locale)
    if source is None:
        if state.draft is not None:
            source = state.draft.source
        elif state.in_use is not None:
            source = state.in_use.source
        else:
            source = shipped_source(message, channel, locale)
    all_samples = samples(message)
    sample = int(query["sample"]) if query.get("sample", "").isdigit() else 0
    sample = sample if sample < len(all_samples) else 0
    comparison, compare_error = None, None
    if query.get("a") and query.get("b"):
        comparison, compare_error = _compare(uow, message, channel, locale, state, query["a"], query["b"])
    return {
        "message": message,
        "channel": channel,
        "locale": locale,
        "description": spec.get("description", ""),
        "variables": [{"name": name, "about": str(about)} for name, about in (spec.get("variables") or {}).items()],
        "source": source,
        "max_source": MAX_SOURCE,
        "in_use": state.in_use and version_view(state.in_use, state.in_use),
        "draft": state.draft and version_view(state.draft, state.in_use),
        "versions": [version_view(v, state.in_use) for v in state.versions],
        "samples": [
            {"index": i, "label": sample_label(i, s), "data": shown_sample(s)} for i, s in enumerate(all_samples)
        ],
        "sample": sample,
        "comparison": comparison,
        "compare_error": compare_error,
        "problems": [],
        "refused_number": None,
        "editor_url": f"{PREFIX}/templates/{message}/{channel}/{locale}",
        "languages": [
            {"locale": other, "url": f"{PREFIX}/templates/{message}/{channel}/{other}", "current": other == locale}
            for other in spec["locales"]
        ],
    }


@routes.get(KEY)
@staff_only(*EDITORS)
async def editor_page(request: web.Request) -> web.StreamResponse:
    message, channel, locale = _key_of(request)
    uow = request.config_dict[UNIT_OF_WORK]
    context = await asyncio.to_thread(editor_context, uow, message, channel, locale, dict(request.query))
    return await render(request, "editor", await with_preview(request, context))


@routes.post(KEY)
@staff_only(*EDITORS)
async def save(request: web.Request) -> web.StreamResponse:
    message, channel, locale = _key_of(request)
    uow = request.config_dict[UNIT_OF_WORK]
    form = await read_form(request)
    source = str(form.get("source", "")).replace("\r\n", "\n")
    comment = str(form.get("comment", "")).strip()[:500] or None
    action = form.get("action")
    author = request[STAFF].email
    url = f"{PREFIX}/templates/{message}/{channel}/{locale}"
    if (problem := unstorable(source, comment)) is not None:
        await flash(request, "error", problem + " Nothing was saved.")
        return see_other(url)
    if action == "draft":
        draft = await asyncio.to_thread(
            save_draft, uow, message, channel, locale, source, author, datetime.now(UTC), comment
        )
        await flash(request, "ok", f"Draft {draft.number} saved. Customers still get the version in use.")
        return see_other(url)
    if action != "publish":
        return web.Response(status=400, text="400: choose Save draft or Publish")
    try:
        version = await asyncio.to_thread(
            publish_text, uow, message, channel, locale, source, author, datetime.now(UTC), comment
        )
    except PublishRefused as refused:
        draft = await asyncio.to_thread(
            keep_draft, uow, message, channel, locale, source, author, datetime.now(UTC), comment
        )
        context = await asyncio.to_thread(editor_context, uow, message, channel, locale, {}, source)
        context["problems"] = [{"kind": p.kind, "message": p.message, "line": p.line} for p in refused.problems]
        context["refused_number"] = draft.number
        return await render(request, "editor", await with_preview(request, context), status=422)
    log.info("console: %s published %s/%s/%s version %s", author, message, channel, locale, version.number)
    await flash(request, "ok", f"Version {version.number} published: customers get it from now on.")
    return see_other(url)


@routes.post(KEY + "/rollback")
@staff_only(*EDITORS)
async def roll_back(request: web.Request) -> web.StreamResponse:
    message, channel, locale = _key_of(request)
    form = await read_form(request)
    url = f"{PREFIX}/templates/{message}/{channel}/{locale}"
    uow = request.config_dict[UNIT_OF_WORK]
    version_id = str(form.get("version_id", ""))
    try:
        old = await asyncio.to_thread(get_version, uow, int(version_id)) if version_id.isdigit() else None
    except VersionNotFound:
        old = None
    if old is None or (old.message, old.channel, old.locale) != (message, channel, locale):
        await flash(request, "error", "There is no such version of this template.")
        return see_other(url)
    try:
        version = await asyncio.to_thread(rollback, uow, old.id, request[STAFF].email, datetime.now(UTC))
    except PublishRefused as refused:
        await flash(request, "error", f"Version {old.number} no longer passes validation: {refused}")
        return see_other(url)
    await flash(request, "ok", f"Rolled back: version {version.number} (the text of version {old.number}) is in use.")
    return see_other(url)
