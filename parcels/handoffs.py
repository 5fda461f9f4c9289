"""Conversations handed to customer-service agents: requested by the assistant, taken by one agent, handed back.

The database keeps the queue and who holds each conversation; the conversation itself
(what the shopper and the agent wrote) lives in Rasa's tracker. Taking a conversation is
one conditional update, so two agents racing for it cannot both get it. Every agent
action is logged with who and when.

The use cases take the process's unit of work as their first argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from parcels import references
from parcels.agent_hours import AgentHours, current_agent_hours
from parcels.attendance import answer_due
from parcels.errors import Conflict, NotFound, Refused
from parcels.handoff_records import ActionView, HandoffStatus, HandoffView, NoteView, Reason
from parcels.policy import Policy, current_policy
from parcels.staff import Role, StaffMember
from parcels.storage.repositories import DuplicateHandoff, HandoffRepository
from parcels.storage.unit_of_work import UnitOfWork

MAX_NOTE = 2000
MAX_DETAIL = 500  # what an action's log keeps of its detail (a message's text)


class HandoffError(Exception):
    pass


class HandoffNotFound(HandoffError, NotFound):
    pass


class AlreadyTaken(HandoffError, Conflict):
    """Another agent took the conversation first (or it was handed back)."""


class NotYours(HandoffError, Conflict):
    """The conversation is held by another agent."""


def request_handoff(
    uow: UnitOfWork,
    conversation: str,
    channel: str,
    language: str,
    reason: Reason,
    tracking_numbers: Sequence[str],
    now: datetime,
    *,
    hours: AgentHours | None = None,
    policy: Policy | None = None,
) -> tuple[HandoffView, bool]:
    """The conversation's open handoff, made now if it has none; and whether it was made now.

    A new one gets the shopper's reference and the day its answer is due, counted in the calendar of the
    region the shopper's first parcel goes to (the first market's national calendar when we know of none).
    """
    hours, policy = hours or current_agent_hours(), policy or current_policy()
    for _ in range(3):
        try:
            with uow.begin() as repos:
                existing = repos.handoffs.open_for(conversation)
                if existing is not None:
                    return existing, False
                parcels = repos.parcels.find(tracking_numbers)
                first = next((parcels[n] for n in tracking_numbers if n in parcels), None)
                market = policy.markets[first.facts.market_code] if first else next(iter(policy.markets.values()))
                postal_code = first.facts.destination_postal_code if first else None
                due = answer_due(now, market, postal_code, hours.answer_within_business_days)
                reference = references.new_reference(references.REQUEST)
                made = repos.handoffs.add(
                    conversation, channel, language, reason, tracking_numbers, now, reference, due
                )
                return made, True
        except DuplicateHandoff:  # the same conversation asked twice at once (the other request made it), or
            continue  # a reference already given: look again
    raise DuplicateHandoff(conversation)


def by_reference(uow: UnitOfWork, reference: str) -> HandoffView:
    if not references.is_reference(reference, references.REQUEST):
        raise HandoffNotFound(f"{reference[:40]!r} is not a request's reference (H- and eight characters)")
    with uow.begin() as repos:
        view = repos.handoffs.by_reference(reference)
    if view is None:
        raise HandoffNotFound(f"no request {reference}")
    return view


def open_handoff(uow: UnitOfWork, conversation: str) -> HandoffView | None:
    with uow.begin() as repos:
        return repos.handoffs.open_for(conversation)


def queue(uow: UnitOfWork) -> list[HandoffView]:
    """The open handoffs: those waiting first, longest-waiting first; then those being handled."""
    with uow.begin() as repos:
        return repos.handoffs.open_ones()


def _get(handoffs: HandoffRepository, handoff_id: int) -> HandoffView:
    view = handoffs.get(handoff_id)
    if view is None:
        raise HandoffNotFound(f"no conversation {handoff_id} in the queue")
    return view


def get_handoff(uow: UnitOfWork, handoff_id: int) -> HandoffView:
    with uow.begin() as repos:
        return _get(repos.handoffs, handoff_id)


def take(uow: UnitOfWork, handoff_id: int, agent: StaffMember, now: datetime) -> HandoffView:
    """Take a waiting conversation: one conditional update, so of two agents racing only one gets it."""
    with uow.begin() as repos:
        taken = repos.handoffs.assign(handoff_id, agent.id, now)
        if taken:
            repos.handoffs.log(agent.id, "take", now, handoff_id, None)
    view = get_handoff(uow, handoff_id)
    if not taken:
        holder = f"by {view.agent_name}" if view.agent_name else str(view.status)
        raise AlreadyTaken(f"conversation {handoff_id} is already {holder}")
    return view


def held_by(view: HandoffView, agent: StaffMember) -> None:
    """Raises unless ``agent`` may act on the conversation: the agent who took it (or an admin)."""
    if view.status is not HandoffStatus.ASSIGNED:
        raise NotYours(f"conversation {view.id} is {view.status}: take it first")
    if view.agent_id != agent.id and agent.role is not Role.ADMIN:
        raise NotYours(f"conversation {view.id} is held by {view.agent_name}")


def resolve(uow: UnitOfWork, handoff_id: int, agent: StaffMember, now: datetime) -> HandoffView:
    """Hand the conversation back to the assistant."""
    with uow.begin() as repos:
        held_by(_get(repos.handoffs, handoff_id), agent)
        done = repos.handoffs.close(handoff_id, now)
        if done:
            repos.handoffs.log(agent.id, "hand_back", now, handoff_id, None)
    if not done:
        raise AlreadyTaken(f"conversation {handoff_id} was handed back already")
    return get_handoff(uow, handoff_id)


def record_message(uow: UnitOfWork, handoff_id: int, agent: StaffMember, text: str, now: datetime) -> None:
    """Log an agent's message to the shopper; the first one stops the clock to a person."""
    with uow.begin() as repos:
        repos.handoffs.log(agent.id, "message", now, handoff_id, text[:MAX_DETAIL])
        repos.handoffs.replied(handoff_id, now)


def add_note(uow: UnitOfWork, handoff_id: int, agent: StaffMember, text: str, now: datetime) -> NoteView:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise Refused(f"a note holds 1 to {MAX_NOTE} characters")
    with uow.begin() as repos:
        _get(repos.handoffs, handoff_id)
        repos.handoffs.add_note(handoff_id, agent.id, text, now)
        repos.handoffs.log(agent.id, "note", now, handoff_id, None)
    return NoteView(agent.name, text, now)


def notes(uow: UnitOfWork, handoff_id: int) -> list[NoteView]:
    with uow.begin() as repos:
        return repos.handoffs.notes(handoff_id)


def log_action(
    uow: UnitOfWork,
    agent: StaffMember,
    action: str,
    now: datetime,
    handoff_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Record what an agent did (read a conversation, wrote to the shopper...), with who and when."""
    with uow.begin() as repos:
        repos.handoffs.log(agent.id, action, now, handoff_id, detail[:MAX_DETAIL] if detail else None)


def actions(uow: UnitOfWork, handoff_id: int) -> list[ActionView]:
    """What agents did on a handoff (who, action, detail, when), oldest first."""
    with uow.begin() as repos:
        return repos.handoffs.actions(handoff_id)
