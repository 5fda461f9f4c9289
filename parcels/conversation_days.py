"""Counting the shoppers' messages per conversation and day, for the dashboard: how many conversations each
channel and language had, which were settled without a person, and which notifications were answered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from parcels.conversation_records import conversation_key
from parcels.storage.unit_of_work import UnitOfWork


def count_message(
    uow: UnitOfWork, sender_id: str, channel: str, language: str | None, at: datetime, zone: ZoneInfo
) -> None:
    """One more message from the shopper of ``sender_id``, on the day it is in ``zone`` (the agents' clock)."""
    with uow.begin() as repos:
        repos.conversation_days.touch(
            conversation_key(sender_id), at.astimezone(zone).date(), channel[:16], language and language[:8], at
        )
