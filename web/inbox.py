"""``GET /api/inbox/{key}``: the notifications in a shopper's web chat inbox, marked read as they are shown.

The key (32 lowercase hex characters, made by the notifier) is the only credential, as in a
magic link: a wrong key learns nothing, not even whether it was well formed, and no answer is
cached. Statuses only move forward (sent/delivered -> read); a message that cannot be shown
stays unread, and a database error changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from notifications.channels import inbox_conversation, inbox_key_of_parcel
from notifications.outbox import Status, Unrenderable, render_row
from parcels.outbox_records import OutboxMessage
from parcels.signatures import CHAT_SESSION, sign
from parcels.storage.unit_of_work import UnitOfWork
from parcels.tracking_numbers import validate
from web.auth import error_response, refusal
from web.json_body import BadBody, read_json
from web.keys import SETTINGS, UNIT_OF_WORK

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

KEY = re.compile(r"[0-9a-f]{32}")
UNREAD = (Status.SENT, Status.DELIVERED)
SHOWN = (*UNREAD, Status.READ)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class Inbox:
    conversation: str  # the Rasa sender id the chat page continues
    locale: str
    messages: list[dict[str, Any]]  # id, kind, text, sent_at
    session_token: str | None = None  # the proof the socket.io channel asks for to continue it


def _text(message: OutboxMessage) -> str | None:
    """The message as the notifier wrote it into the conversation (in its locale); None if it cannot be rendered."""
    try:
        return render_row(message).text
    except Unrenderable:
        log.exception("web inbox: notification %d cannot be rendered; left unread", message.id)
        return None


def read_inbox(uow: UnitOfWork, key: str) -> Inbox | None:
    """The customer's web notifications, oldest first, now marked read; None for an unknown key.

    ``sent_at`` is the row's last update: the dispatcher's, since reading does not touch it
    (as Twilio's status callbacks do not)."""
    with uow.begin() as repos:
        found = repos.outbox.web_inbox(key, SHOWN)
        if found is None:
            return None
        locale, shown = found
        messages: list[dict[str, Any]] = []
        shown_unread: list[int] = []
        for message in shown:
            if (text := _text(message)) is None:
                continue
            messages.append(
                {"id": message.id, "kind": message.kind, "text": text, "sent_at": message.updated_at.isoformat()}
            )
            if message.status in UNREAD:
                shown_unread.append(message.id)
        repos.outbox.move(shown_unread, UNREAD, Status.READ)
        return Inbox(inbox_conversation(key), locale, messages)


class HideInboxKeys(logging.Filter):
    """An inbox key is a credential: access log lines show ``/api/inbox/…`` and ``?inbox=…`` instead."""

    PATTERN = re.compile(r"(inbox[=/-])[0-9a-fA-F]{32}")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.PATTERN.sub(r"\1…", str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        return True


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, headers=NO_STORE)


@routes.post("/api/inbox-links")
async def post_inbox_link(request: web.Request) -> web.Response:
    """For the shop's site: the inbox link of a parcel's customer (behind ``TRACKING_API_KEY``)."""
    refused = refusal(request, request.app[SETTINGS].tracking_api_key, "TRACKING_API_KEY", "the inbox links API")
    if refused is not None:
        return refused
    try:
        body = await read_json(request)
    except BadBody as error:
        return error_response(400, f'{error}; send a JSON object {{"tracking_number": "LP..."}}')
    given = body.get("tracking_number") if isinstance(body, dict) else None
    if not isinstance(given, str) or len(given) > 64 or not validate(given).valid:
        return error_response(400, "tracking_number must be a valid tracking number, such as LP00012345678901")
    number = validate(given).number
    try:
        key = await asyncio.to_thread(inbox_key_of_parcel, request.config_dict[UNIT_OF_WORK], number)
    except SQLAlchemyError:
        log.exception("inbox links: the database is unavailable")
        return error_response(503, "the database is unavailable; try again")
    if key is None:
        return error_response(404, f"no parcel {number} with a customer")
    return _json({"tracking_number": number, "inbox_key": key, "path": f"/?inbox={key}"})


@routes.get("/api/inbox/{key}")
async def get_inbox(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    try:
        inbox = await asyncio.to_thread(read_inbox, request.app[UNIT_OF_WORK], key) if KEY.fullmatch(key) else None
    except SQLAlchemyError:
        log.exception("web inbox: the database is unavailable")  # never log the key: it is the credential
        return _json({"error": "the database is unavailable; no message was lost or marked read, try again"}, 503)
    if inbox is None:
        return _json({"error": "no inbox at this address; check the link"}, 404)
    secret = request.app[SETTINGS].chat_session_secret
    token = sign(secret, CHAT_SESSION, inbox.conversation) if secret else None
    return _json(asdict(replace(inbox, session_token=token)))
