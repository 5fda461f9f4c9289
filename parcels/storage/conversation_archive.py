"""The conversations the assistant keeps, as a shopper's data request reads and erases them: Rasa's SQL tracker
store (its ``events`` table) at ``TRACKER_STORE_URL``, the SQLite file ``var/conversations.db`` by default
(``bot/stores.py``).

Rasa's table is read and written here with our SQLAlchemy, in a database of its own: only rows of one
conversation (a Rasa sender id) are ever deleted, and never while the table is missing (no conversation yet).
A conversation answered at the very moment it is erased may be written again by that turn, which saves the
events it holds in memory: the erasure reports what it deleted, and a second one takes what such a turn left.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from typing import Any, Protocol

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, or_, select

from parcels.storage.db import PROJECT_ROOT, make_engine, rowcount

DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'conversations.db'}"
NEEDLES = 200  # at most: the texts searched for in one pass over the conversations
_TEXT_OF = ("user", "bot")  # the events that carry what someone wrote

EVENTS = Table(
    "events",  # as rasa.core.tracker_store.SQLTrackerStore.SQLEvent makes it
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class ConversationArchive(Protocol):
    def mentioning(self, texts: Collection[str]) -> set[str]:
        """The conversations in which any of ``texts`` (a tracking number, a phone number) was written."""
        ...

    def existing(self, conversations: Collection[str]) -> set[str]:
        """Those of ``conversations`` that hold events."""
        ...

    def transcripts(self, conversations: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        """Each conversation's events that someone wrote or did, oldest first: kind, time, text, intent,
        action."""
        ...

    def erase(self, conversations: Collection[str]) -> int:
        """Delete every event of ``conversations``; how many."""
        ...

    def expired(self, before: float, limit: int) -> list[str]:
        """At most ``limit`` conversations whose last event is older than ``before`` (POSIX seconds)."""
        ...


def tracker_store_url() -> str:
    return os.environ.get("TRACKER_STORE_URL") or DEFAULT_URL


def transcript_entry(
    type_name: str, timestamp: float | None, intent: str | None, action: str | None, data: str
) -> dict[str, Any]:
    """One event as the shopper's export shows it: what was written, not Rasa's internals."""
    try:
        event = json.loads(data) if data else {}
    except ValueError:
        event = {}
    entry: dict[str, Any] = {"event": type_name, "timestamp": timestamp}
    if type_name in _TEXT_OF:
        entry["text"] = event.get("text")
    if intent:
        entry["intent"] = intent
    if action:
        entry["action"] = action
    if type_name == "slot":
        entry["slot"] = {"name": event.get("name"), "value": event.get("value")}
    return entry


class SqlConversationArchive:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine or make_engine(tracker_store_url())

    def _present(self) -> bool:
        return inspect(self._engine).has_table("events")

    def mentioning(self, texts: Collection[str]) -> set[str]:
        wanted = sorted({t for t in texts if t})[:NEEDLES]
        if not wanted or not self._present():
            return set()
        query = (
            select(EVENTS.c.sender_id)
            .distinct()
            .where(or_(*(EVENTS.c.data.contains(t, autoescape=True) for t in wanted)))
        )
        with self._engine.connect() as connection:
            return set(connection.scalars(query))

    def existing(self, conversations: Collection[str]) -> set[str]:
        if not conversations or not self._present():
            return set()
        query = select(EVENTS.c.sender_id).distinct().where(EVENTS.c.sender_id.in_(list(conversations)))
        with self._engine.connect() as connection:
            return set(connection.scalars(query))

    def transcripts(self, conversations: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        if not conversations or not self._present():
            return {}
        c = EVENTS.c
        query = (
            select(c.sender_id, c.type_name, c.timestamp, c.intent_name, c.action_name, c.data)
            .where(c.sender_id.in_(list(conversations)))
            .order_by(c.sender_id, c.id)
        )
        found: dict[str, list[dict[str, Any]]] = {}
        with self._engine.connect() as connection:
            for sender, *event in connection.execute(query):
                found.setdefault(sender, []).append(transcript_entry(*event))
        return found

    def erase(self, conversations: Collection[str]) -> int:
        if not conversations or not self._present():
            return 0
        with self._engine.begin() as connection:
            return rowcount(connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(list(conversations)))))

    def expired(self, before: float, limit: int) -> list[str]:
        if not self._present():
            return []
        query = (
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < before)
            .order_by(EVENTS.c.sender_id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return list(connection.scalars(query))
