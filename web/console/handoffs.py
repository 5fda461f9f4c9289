"""Agents' side of a handoff: the queue, a conversation with its parcels, taking it, writing, notes, hand-back.

What the shopper and the agent write lives in Rasa's tracker; the workflows that write into it (an
agent's message, the hand-back) are ``notifications.handoff_service``'s, the rest ``parcels.handoffs``'
use cases, and the handlers here only translate. What a use case refuses, and a database or an assistant's
server that cannot be reached, is answered by the app's error middleware (``web.errors``). Live views are
server-sent events fed by polling the database and the tracker.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from notifications import handoff_service
from notifications.conversation import RasaConversations, RasaUnavailable
from parcels import attendance, handoffs
from parcels.agent_hours import AgentHours, current_agent_hours
from parcels.check import check_candidates
from parcels.handoff_records import HandoffView
from parcels.handoffs import HandoffNotFound
from parcels.staff import Role, StaffMember
from parcels.storage.unit_of_work import UnitOfWork
from parcels.track import Finding
from parcels.tracking_numbers import Candidate
from templates.manifest import manifest
from templates.renderer import render_message
from web.console.pages import PREFIX, STAFF, render, see_other, staff_only
from web.json_body import BadBody, read_json
from web.keys import RASA, UNIT_OF_WORK

routes = web.RouteTableDef()

OPERATORS = (Role.AGENT, Role.ADMIN)
POLL_SECONDS = 1.0


def _json(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, default=str))


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


def masked_conversation(conversation: str) -> str:
    """A WhatsApp/SMS sender id is a phone number: agents see enough to tell shoppers apart, no more."""
    prefix, _, rest = conversation.rpartition(":")
    if rest.startswith("+") and len(rest) > 6:
        return f"{prefix + ':' if prefix else ''}{rest[:4]}{'•' * (len(rest) - 6)}{rest[-2:]}"
    return conversation[:12] + ("…" if len(conversation) > 12 else "")


def conversation_name(view: HandoffView) -> str:
    """What agents call a conversation: the shopper's masked number, else the parcel it is about, else its
    reference (a web chat's sender id is a random token that means nothing to anyone)."""
    _, _, rest = view.conversation.rpartition(":")
    if rest.startswith("+") and len(rest) > 6:
        return masked_conversation(rest)
    if view.tracking_numbers:
        return ", ".join(view.tracking_numbers[:2]) + ("…" if len(view.tracking_numbers) > 2 else "")
    return view.reference


def queue_view(view: HandoffView, now: datetime, hours: AgentHours | None = None) -> dict[str, Any]:
    """A handoff as the queue shows it: the number masked, how long the shopper has waited for a person
    (counted from when agents are in) and whether that is past the time allowed."""
    hours = hours or current_agent_hours()
    body = view.as_dict()
    body["conversation"] = masked_conversation(view.conversation)
    body["name"] = conversation_name(view)
    body["waiting_minutes"] = int((now - view.requested_at).total_seconds() // 60)
    body["wait_seconds"] = int(attendance.waited(view.requested_at, view.first_reply_at, now, hours).total_seconds())
    body["overdue"] = view.open and attendance.overdue(view.requested_at, view.first_reply_at, now, hours)
    return body


def shopper_text(event: dict[str, Any]) -> str:
    """What the shopper wrote; for a message the channel did not let the assistant read, what is known of it."""
    metadata = event.get("metadata") or {}
    refused = metadata.get("refused")
    if refused == "too_long":
        return f"[too long to read: {metadata.get('length', '?')} characters] {metadata.get('excerpt', '')}…"
    if refused == "media":
        return f"[{metadata.get('media') or 'no'} media, no text]"
    return str(event.get("text") or "")


def transcript(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Who said what: the shopper, the assistant, an agent (by name), and when the assistant paused or resumed."""
    items: list[dict[str, Any]] = []
    for event in tracker.get("events") or []:
        kind, at = event.get("event"), datetime.fromtimestamp(event.get("timestamp") or 0, UTC).isoformat()
        if kind == "user":
            items.append({"who": "shopper", "name": None, "text": shopper_text(event), "at": at})
        elif kind == "bot" and event.get("text"):
            agent = (event.get("metadata") or {}).get("agent")
            who = "agent" if agent else "assistant"
            items.append({"who": who, "name": agent, "text": event["text"], "at": at})
        elif kind in ("pause", "resume"):
            items.append({"who": "system", "name": None, "text": kind, "at": at})
    return items


def parcels_context(uow: UnitOfWork, numbers: list[str]) -> list[dict[str, Any]]:
    """What the agent needs of each parcel: its promise, outcome and compensation, and any claim."""
    answers = check_candidates(uow, [Candidate(number) for number in numbers], datetime.now(UTC))
    context = []
    for answer in answers:
        if answer.finding is not Finding.FOUND or answer.decision is None:
            context.append({"number": answer.number, "found": False})
            continue
        decision, claim = answer.decision, answer.claim
        context.append(
            {
                "number": answer.number,
                "found": True,
                "outcome": str(decision.outcome),
                "at_risk": decision.at_risk,
                "promised_date": decision.promised_date.isoformat(),
                "days_late": decision.days_late,
                "owed": None
                if decision.owed is None
                else {
                    "amount": str(decision.owed.amount),
                    "currency": decision.owed.currency,
                    "form": str(decision.owed.form),
                    "grant": str(decision.owed.grant),
                },
                "reasons": [str(reason.code) for reason in decision.reasons],
                "claim": None if claim is None else {"reference": claim.reference, "status": str(claim.status)},
            }
        )
    return context


def canned_replies(view: HandoffView, agent: StaffMember) -> list[dict[str, str]]:
    """The ready-made replies, in the conversation's language, for the agent to pick and edit."""
    choices = manifest()["agent_canned"]["variables"]["reply"].split(" | ")
    number = view.tracking_numbers[0] if view.tracking_numbers else None
    variables = {"agent": agent.name, "number": number}
    return [
        {"key": key, "text": render_message("agent_canned", "web", view.language, {**variables, "reply": key})}
        for key in choices
    ]


def _uow(request: web.Request) -> UnitOfWork:
    return request.config_dict[UNIT_OF_WORK]


def _id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _handoff(request: web.Request) -> HandoffView:
    return await asyncio.to_thread(handoffs.get_handoff, _uow(request), _id(request))


async def _text(request: web.Request, limit: int) -> str | web.Response:
    try:
        body = await read_json(request)
    except BadBody:
        return _error(400, 'send JSON: {"text": "..."}')
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return _error(400, "write something first")
    if len(text) > limit:
        return _error(400, f"at most {limit} characters")
    return text.strip()


def _queue_body(uow: UnitOfWork) -> dict[str, Any]:
    now = datetime.now(UTC)
    hours = current_agent_hours()
    shown = [queue_view(view, now, hours) for view in handoffs.queue(uow)]
    return {
        "queue": shown,
        "agents_at_work": hours.is_open(now),
        "next_opening": hours.next_opening(now),
        "attend_within_seconds": int(hours.attend_within.total_seconds()),
        "overdue": sum(1 for item in shown if item["overdue"]),
    }


def _overdue_body(uow: UnitOfWork) -> dict[str, Any]:
    """What every console page of an agent or admin is told at once: who has waited too long for a person."""
    body = _queue_body(uow)
    late = [item for item in body["queue"] if item["overdue"]]
    return {"overdue": len(late), "longest_wait_seconds": max((i["wait_seconds"] for i in late), default=0)}


@routes.get("/conversations")
@staff_only(*OPERATORS)
async def queue_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "conversations", {})


@routes.get("/conversations/reference")
@staff_only(*OPERATORS)
async def by_reference_page(request: web.Request) -> web.StreamResponse:
    """An agent types the reference a shopper reads out: the conversation it names, open or handed back."""
    reference = request.query.get("reference", "").strip().upper()[:40]
    try:
        view = await asyncio.to_thread(handoffs.by_reference, _uow(request), reference)
    except HandoffNotFound:
        return await render(request, "error", {"error": f"No request with the reference {reference}."}, status=404)
    return see_other(f"{PREFIX}/conversations/{view.id}")


@routes.get(r"/conversations/{id:\d+}")
@staff_only(*OPERATORS)
async def conversation_page(request: web.Request) -> web.StreamResponse:
    try:
        view = await _handoff(request)
    except HandoffNotFound:
        return await render(request, "error", {"error": "No such conversation."}, status=404)
    return await render(request, "conversation", {"handoff_id": view.id})


@routes.get("/api/conversations")
@staff_only(*OPERATORS, api=True)
async def queue_api(request: web.Request) -> web.Response:
    return _json(await asyncio.to_thread(_queue_body, _uow(request)))


async def _conversation_body(request: web.Request, view: HandoffView) -> dict[str, Any]:
    rasa: RasaConversations = request.config_dict[RASA]
    tracker = await rasa.tracker(view.conversation)
    in_slot = (tracker.get("slots") or {}).get("tracking_numbers") or []
    numbers = list(dict.fromkeys([*view.tracking_numbers, *in_slot]))
    parcels = await asyncio.to_thread(parcels_context, _uow(request), numbers)
    notes = await asyncio.to_thread(handoffs.notes, _uow(request), view.id)
    activity = await asyncio.to_thread(handoffs.actions, _uow(request), view.id)
    body = queue_view(view, datetime.now(UTC))
    return {
        "handoff": body,
        "paused": bool(tracker.get("paused")),
        "transcript": transcript(tracker),
        "parcels": parcels,
        "notes": [{"author": n.author, "text": n.text, "at": n.at.isoformat()} for n in notes],
        "activity": [{"who": a.who, "action": a.action, "at": a.at.isoformat()} for a in activity],
        "canned": canned_replies(view, request[STAFF]),
        "yours": view.agent_id == request[STAFF].id,
    }


@routes.get(r"/api/conversations/{id:\d+}")
@staff_only(*OPERATORS, api=True)
async def conversation_api(request: web.Request) -> web.Response:
    view = await _handoff(request)
    body = await _conversation_body(request, view)
    await asyncio.to_thread(handoffs.log_action, _uow(request), request[STAFF], "read", datetime.now(UTC), view.id)
    return _json(body)


@routes.post(r"/api/conversations/{id:\d+}/take")
@staff_only(*OPERATORS, api=True)
async def take(request: web.Request) -> web.Response:
    taken = await asyncio.to_thread(handoffs.take, _uow(request), _id(request), request[STAFF], datetime.now(UTC))
    return _json({"handoff": queue_view(taken, datetime.now(UTC))})


@routes.post(r"/api/conversations/{id:\d+}/messages")
@staff_only(*OPERATORS, api=True)
async def send(request: web.Request) -> web.Response:
    """The agent writes to the shopper, on the channel the shopper last used."""
    text = await _text(request, 1000)
    if isinstance(text, web.Response):
        return text
    rasa, agent, now = request.config_dict[RASA], request[STAFF], datetime.now(UTC)
    try:
        shown = await handoff_service.send_message(_uow(request), rasa, _id(request), agent, text, now)
    except RasaUnavailable:
        return _error(503, "the message could not be sent (the assistant's server is unreachable); try again")
    return _json({"sent": shown})


@routes.post(r"/api/conversations/{id:\d+}/notes")
@staff_only(*OPERATORS, api=True)
async def note(request: web.Request) -> web.Response:
    text = await _text(request, handoffs.MAX_NOTE)
    if isinstance(text, web.Response):
        return text
    added = await asyncio.to_thread(
        handoffs.add_note, _uow(request), _id(request), request[STAFF], text, datetime.now(UTC)
    )
    return _json({"author": added.author, "text": added.text, "at": added.at.isoformat()})


@routes.post(r"/api/conversations/{id:\d+}/hand-back")
@staff_only(*OPERATORS, api=True)
async def hand_back(request: web.Request) -> web.Response:
    rasa, agent, now = request.config_dict[RASA], request[STAFF], datetime.now(UTC)
    try:
        resolved = await handoff_service.hand_back(_uow(request), rasa, _id(request), agent, now)
    except RasaUnavailable:
        return _error(503, "the assistant's server is unreachable: the conversation is still yours; try again")
    return _json({"handoff": queue_view(resolved, datetime.now(UTC))})


async def _stream(request: web.Request, snapshot: Any) -> web.StreamResponse:
    """Server-sent events: the snapshot whenever it changes (and a comment now and then to keep the line open)."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    last, quiet = None, 0.0
    while True:
        try:
            current = json.dumps(await snapshot(), default=str)
        except (SQLAlchemyError, RasaUnavailable):
            current = json.dumps({"error": "temporarily unavailable; retrying"})
        try:
            if current != last:
                await response.write(f"data: {current}\n\n".encode())
                last, quiet = current, 0.0
            elif quiet >= 15:
                await response.write(b": still here\n\n")
                quiet = 0.0
        except (ConnectionResetError, RuntimeError):
            return response
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS


@routes.get("/api/conversations/stream")
@staff_only(*OPERATORS, api=True)
async def queue_stream(request: web.Request) -> web.StreamResponse:
    return await _stream(request, lambda: asyncio.to_thread(_queue_body, _uow(request)))


@routes.get("/api/conversations/overdue/stream")
@staff_only(*OPERATORS, api=True)
async def overdue_stream(request: web.Request) -> web.StreamResponse:
    return await _stream(request, lambda: asyncio.to_thread(_overdue_body, _uow(request)))


@routes.get(r"/api/conversations/{id:\d+}/stream")
@staff_only(*OPERATORS, api=True)
async def conversation_stream(request: web.Request) -> web.StreamResponse:
    view = await _handoff(request)

    async def snapshot() -> dict[str, Any]:
        current = await asyncio.to_thread(handoffs.get_handoff, _uow(request), view.id)
        tracker = await request.config_dict[RASA].tracker(view.conversation)
        return {
            "handoff": queue_view(current, datetime.now(UTC)) | {"waiting_minutes": None},
            "paused": bool(tracker.get("paused")),
            "transcript": transcript(tracker),
            "yours": current.agent_id == request[STAFF].id,
        }

    return await _stream(request, snapshot)
