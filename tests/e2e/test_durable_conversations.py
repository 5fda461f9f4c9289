"""Conversations survive ``kill -9`` of the ``rasa`` process and a restart, in the embedded profile (the SQL
tracker store in a SQLite file; on PostgreSQL in its run): the parcel a shopper asked about is remembered, a
claim form goes on where it was, and a conversation handed to an agent stays paused with all it was told."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from parcels.handoffs import open_handoff
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, shipment_record
from tests.processes import Stack

pytestmark = pytest.mark.e2e
UOW = SqlUnitOfWork()  # on the tests' database (DATABASE_URL)

TRACKED, TO_CLAIM = "LP00088800000001", "LP00088800000002"


def test_conversations_survive_a_killed_rasa(stack: Stack, db) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    headers = {"X-Api-Key": stack.api_key}
    shipments = [
        shipment_record(TRACKED, order_ref="DUR-1", paid_at=(now - timedelta(days=3)).isoformat()),
        shipment_record(TO_CLAIM, order_ref="DUR-2", paid_at=(now - timedelta(days=30)).isoformat()),
    ]
    assert requests.post(f"{stack.web_url}/api/shipments", json=shipments, headers=headers, timeout=30).ok
    event = event_record("dur-1", "EMC", (now - timedelta(days=1)).isoformat(), TRACKED)
    assert requests.post(f"{stack.web_url}/api/tracking/events", json=[event], headers=headers, timeout=30).ok

    asking, claiming, waiting = (f"durable-{kind}-{time.time_ns()}" for kind in ("ask", "claim", "wait"))
    [first] = stack.chat(asking, f"¿dónde está mi paquete {TRACKED}?")
    assert TRACKED in first
    stack.chat(claiming, f"mi paquete {TO_CLAIM} llega tarde, ¿me corresponde algo?")
    [postal_code_asked] = stack.chat(claiming, "quiero reclamarla")
    assert "código postal" in postal_code_asked
    [handed_over] = stack.chat(waiting, "quiero hablar con una persona")
    assert "atención al cliente" in handed_over
    events_before = len(stack.tracker(f"rest:{claiming}")["events"])

    stack.processes.restart("rasa")  # kill -9, then start again on the same tracker store

    assert len(stack.tracker(f"rest:{claiming}")["events"]) == events_before  # nothing lost, nothing doubled
    [again] = stack.chat(asking, "¿y cuándo llega?")
    assert TRACKED in again  # the parcel was remembered
    [confirm] = stack.chat(claiming, "28013")
    assert "¿Lo confirmas?" in confirm
    [done] = stack.chat(claiming, "sí")
    assert "C-" in done
    assert stack.chat(waiting, "¿hola? ¿sigue ahí alguien?") == []  # still with the agents, not the assistant
    tracker = stack.tracker(f"rest:{waiting}")
    assert tracker["paused"] is True
    assert "¿hola? ¿sigue ahí alguien?" in [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert open_handoff(UOW, f"rest:{waiting}") is not None
