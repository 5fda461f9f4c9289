"""Tracker fixtures: conversations as Rasa dumps them (``tests/data/trackers/*.json``), loaded with
``Tracker.from_dict`` and given the shopper's latest message."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

TRACKERS = Path(__file__).parent / "data" / "trackers"


@cache
def _state(name: str) -> dict[str, Any]:
    return dict(json.loads((TRACKERS / f"{name}.json").read_text()))


def shopper_says(
    name: str,
    text: str,
    slots: dict[str, Any] | None = None,
    channel: str | None = None,
    metadata: dict[str, Any] | None = None,
    sender: str | None = None,
) -> Tracker:
    """The conversation ``name`` whose latest shopper message is ``text`` (on ``channel``, with ``metadata``),
    its slots updated with ``slots``."""
    state = copy.deepcopy(_state(name))
    state["slots"].update(slots or {})
    state["latest_message"].update(text=text, metadata=metadata or {})
    latest = next(event for event in reversed(state["events"]) if event["event"] == "user")
    latest["text"] = text
    if channel is not None:
        latest["input_channel"] = channel
    if metadata:
        latest["metadata"] = metadata
    if sender is not None:
        state["sender_id"] = sender
    return Tracker.from_dict(state)
