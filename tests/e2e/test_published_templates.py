"""A marketer's published version reaches the shopper through the real action server, which installs the
database's versions when it starts (``python -m actions``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from parcels.storage.unit_of_work import SqlUnitOfWork
from templates import versions
from tests.processes import Stack

pytestmark = pytest.mark.e2e

KEY = ("tracking_number_problem", "web", "es")
UNKNOWN = "LP99999999999999"


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_the_action_server_answers_with_the_published_version(stack: Stack, db: Engine) -> None:
    question = f"¿dónde está mi paquete {UNKNOWN}?"
    [shipped] = stack.chat(sender(), question)
    assert "No encuentro ningún envío" in shipped

    source = versions.shipped_source(*KEY).replace("No encuentro ningún envío", "No damos con ningún envío")
    uow = SqlUnitOfWork()
    versions.publish_text(uow, *KEY, source, "marta@example.com", datetime.now(UTC))

    [published] = stack.chat(sender(), question)
    assert "No damos con ningún envío" in published and UNKNOWN in published
