"""The agents' workflows that write into the shopper's Rasa conversation: an agent's message, and the hand-back.

An agent's message is a ``bot`` event delivered on the shopper's latest channel (``deliver``: Rasa's
``execute_side_effects``), with the agent in its metadata, so the transcript shows who said what. Handing
back tells the shopper, resumes the assistant, then resolves the handoff; when Rasa cannot be reached
(``RasaUnavailable``) nothing is resolved and the conversation is still the agent's.

Only the agent holding the conversation (or an admin) may do either: ``parcels.handoffs.held_by``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Protocol

from parcels import handoffs
from parcels.handoff_records import HandoffView
from parcels.staff import StaffMember
from parcels.storage.unit_of_work import UnitOfWork
from templates.manifest import catalogue_channel
from templates.renderer import render_message


class Conversations(Protocol):
    """What the workflows need of the assistant's server: ``notifications.conversation.RasaConversations``."""

    async def append(self, sender_id: str, events: list[dict[str, Any]], deliver: bool = False) -> None: ...


async def _held(uow: UnitOfWork, handoff_id: int, agent: StaffMember) -> HandoffView:
    view = await asyncio.to_thread(handoffs.get_handoff, uow, handoff_id)
    handoffs.held_by(view, agent)
    return view


async def send_message(
    uow: UnitOfWork, rasa: Conversations, handoff_id: int, agent: StaffMember, text: str, now: datetime
) -> str:
    """Write ``text`` to the shopper as ``agent`` and log it; the message as the shopper sees it."""
    view = await _held(uow, handoff_id, agent)
    variables = {"agent": agent.name, "text": text}
    shown = render_message("agent_message", catalogue_channel(view.channel), view.language, variables)
    event = {"event": "bot", "text": shown, "metadata": {"agent": agent.name, "agent_id": agent.id}}
    await rasa.append(view.conversation, [event], deliver=True)
    await asyncio.to_thread(handoffs.record_message, uow, view.id, agent, text, now)
    return shown


async def hand_back(
    uow: UnitOfWork, rasa: Conversations, handoff_id: int, agent: StaffMember, now: datetime
) -> HandoffView:
    """The assistant answers again: the shopper is told, the conversation resumed, then the handoff resolved."""
    view = await _held(uow, handoff_id, agent)
    told = render_message("handed_back", catalogue_channel(view.channel), view.language, {"agent": agent.name})
    # After ``resume``, an ``action_listen``: the assistant's next prediction starts from the shopper's next
    # message, not from the turns it sat out (which would lead it back to the handoff).
    events: list[dict[str, Any]] = [
        {"event": "bot", "text": told, "metadata": {"handed_back_by": agent.name}},
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    await rasa.append(view.conversation, events, deliver=True)
    return await asyncio.to_thread(handoffs.resolve, uow, view.id, agent, now)
