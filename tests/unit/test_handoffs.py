"""The handoff use cases on the in-memory unit of work: one open per conversation, one agent per
conversation, only the holder acts, every action logged; and the agents' workflows that write into the
shopper's conversation, on a fake of our Rasa adapter."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from notifications.conversation import RasaUnavailable
from notifications.handoff_service import hand_back, send_message
from parcels.claim_records import Parcel
from parcels.handoffs import (
    AlreadyTaken,
    HandoffNotFound,
    HandoffStatus,
    NotYours,
    Reason,
    actions,
    add_note,
    by_reference,
    get_handoff,
    held_by,
    log_action,
    notes,
    open_handoff,
    queue,
    record_message,
    request_handoff,
    resolve,
    take,
)
from parcels.references import REQUEST, is_reference
from parcels.staff import Role, StaffMember
from parcels.storage.memory import MemoryUnitOfWork
from parcels.storage.repositories import DuplicateHandoff
from parcels.storage.unit_of_work import Repositories
from tests.strategies import facts

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
ANA = StaffMember(1, "ana@example.com", "Ana", Role.AGENT, True)
BEA = StaffMember(2, "bea@example.com", "Bea", Role.AGENT, True)
BOSS = StaffMember(3, "boss@example.com", "Boss", Role.ADMIN, True)


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    uow.state.staff_names.update({staff.id: staff.name for staff in (ANA, BEA, BOSS)})
    return uow


def test_a_conversation_has_at_most_one_open_handoff(uow: MemoryUnitOfWork) -> None:
    first, made = request_handoff(uow, "web-1", "socketio", "es", Reason.ASKED, ["LP00012345678901"], NOW)
    again, made_again = request_handoff(uow, "web-1", "socketio", "es", Reason.NOT_UNDERSTOOD, [], NOW)
    assert made and not made_again and again == first and again.reason is Reason.ASKED
    assert first.status is HandoffStatus.WAITING and first.tracking_numbers == ["LP00012345678901"]
    assert open_handoff(uow, "web-1") == first and open_handoff(uow, "web-2") is None


class BlindOnce(MemoryUnitOfWork):
    """Its first transaction does not see the handoff another request is committing at that moment."""

    blind = True

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        with super()._transaction() as repos:
            if self.blind:
                self.blind = False
                repos.handoffs.open_for = lambda conversation: None  # type: ignore[method-assign]
            yield repos


def test_a_request_made_at_the_same_moment_elsewhere_is_answered_with_that_handoff(uow: MemoryUnitOfWork) -> None:
    elsewhere, _ = request_handoff(uow, "web-1", "socketio", "es", Reason.ASKED, [], NOW)
    racing = BlindOnce(uow.state)
    again, made = request_handoff(racing, "web-1", "socketio", "es", Reason.NOT_UNDERSTOOD, [], NOW)
    assert not made and again == elsewhere and len(racing.state.handoffs) == 1
    with pytest.raises(DuplicateHandoff), uow.begin() as repos:
        repos.handoffs.add("web-1", "socketio", "es", Reason.ASKED, [], NOW, "H-23456789", NOW.date())


def test_the_queue_puts_the_longest_waiting_first_then_those_being_handled(uow: MemoryUnitOfWork) -> None:
    request_handoff(uow, "c-late", "socketio", "es", Reason.ASKED, [], NOW + timedelta(minutes=5))
    request_handoff(uow, "c-early", "whatsapp", "en", Reason.DISPUTE, [], NOW)
    taken, _ = request_handoff(uow, "c-taken", "socketio", "es", Reason.ASKED, [], NOW - timedelta(minutes=5))
    take(uow, taken.id, ANA, NOW)
    assert [h.conversation for h in queue(uow)] == ["c-early", "c-late", "c-taken"]
    assert queue(uow)[2].agent_name == "Ana"


def test_of_two_agents_only_the_first_takes_the_conversation(uow: MemoryUnitOfWork) -> None:
    handoff, _ = request_handoff(uow, "race", "socketio", "es", Reason.ASKED, [], NOW)
    taken = take(uow, handoff.id, ANA, NOW)
    assert taken.status is HandoffStatus.ASSIGNED and taken.agent_name == "Ana" and taken.assigned_at == NOW
    with pytest.raises(AlreadyTaken, match="already by Ana"):
        take(uow, handoff.id, BEA, NOW)
    assert get_handoff(uow, handoff.id).agent_id == ANA.id
    assert [(a.who, a.action) for a in actions(uow, handoff.id)] == [("Ana", "take")]  # Bea's try is not an action
    with pytest.raises(HandoffNotFound):
        take(uow, 999, ANA, NOW)


def test_only_the_agent_holding_it_or_an_admin_may_act(uow: MemoryUnitOfWork) -> None:
    handoff, _ = request_handoff(uow, "c-1", "whatsapp", "es", Reason.DISPUTE, [], NOW)
    with pytest.raises(NotYours, match="take it first"):
        held_by(handoff, ANA)
    taken = take(uow, handoff.id, ANA, NOW)
    held_by(taken, ANA)
    held_by(taken, BOSS)
    with pytest.raises(NotYours, match="held by Ana"):
        held_by(taken, BEA)


def test_notes_and_actions_are_kept_with_who_and_when(uow: MemoryUnitOfWork) -> None:
    handoff, _ = request_handoff(uow, "c-1", "whatsapp", "es", Reason.DISPUTE, [], NOW)
    note = add_note(uow, handoff.id, ANA, "  Pide revisar el importe  ", NOW + timedelta(minutes=1))
    assert (note.author, note.text) == ("Ana", "Pide revisar el importe")
    commits = uow.commits
    with pytest.raises(ValueError, match="1 to 2000"):
        add_note(uow, handoff.id, ANA, "   ", NOW)
    with pytest.raises(HandoffNotFound):
        add_note(uow, 999, ANA, "nada", NOW)
    assert uow.commits == commits
    log_action(uow, BEA, "message", NOW + timedelta(minutes=2), handoff.id, "x" * 900)
    assert notes(uow, handoff.id) == [note]
    assert [(a.who, a.action, len(a.detail or "")) for a in actions(uow, handoff.id)] == [
        ("Ana", "note", 0),
        ("Bea", "message", 500),  # the log keeps the start of a long message
    ]


def test_handing_back_resolves_once_and_a_new_request_is_a_new_handoff(uow: MemoryUnitOfWork) -> None:
    handoff, _ = request_handoff(uow, "c-1", "whatsapp", "es", Reason.DISPUTE, [], NOW)
    with pytest.raises(NotYours):
        resolve(uow, handoff.id, ANA, NOW)  # not taken yet
    take(uow, handoff.id, ANA, NOW + timedelta(minutes=1))
    with pytest.raises(NotYours):
        resolve(uow, handoff.id, BEA, NOW + timedelta(minutes=2))
    done = resolve(uow, handoff.id, ANA, NOW + timedelta(minutes=3))
    assert done.status is HandoffStatus.RESOLVED and done.resolved_at == NOW + timedelta(minutes=3)
    assert open_handoff(uow, "c-1") is None and queue(uow) == []
    with pytest.raises(NotYours, match="resolved"):
        resolve(uow, handoff.id, ANA, NOW)
    assert [a.action for a in actions(uow, handoff.id)] == ["take", "hand_back"]
    again, made = request_handoff(uow, "c-1", "whatsapp", "es", Reason.ASKED, [], NOW + timedelta(hours=1))
    assert made and again.id != handoff.id


class FakeConversations:
    """Our Rasa adapter's fake: it keeps what it was asked to append, or fails as an unreachable Rasa does."""

    def __init__(self, reachable: bool = True) -> None:
        self.reachable = reachable
        self.appended: list[tuple[str, list[dict[str, Any]], bool]] = []

    async def append(self, sender_id: str, events: list[dict[str, Any]], deliver: bool = False) -> None:
        if not self.reachable:
            raise RasaUnavailable("connection refused")
        self.appended.append((sender_id, events, deliver))


def taken_by_ana(uow: MemoryUnitOfWork) -> int:
    handoff, _ = request_handoff(uow, "whatsapp:+34612345678", "whatsapp", "es", Reason.ASKED, [], NOW)
    return take(uow, handoff.id, ANA, NOW).id


async def test_an_agents_message_is_delivered_with_the_agent_and_logged(uow: MemoryUnitOfWork) -> None:
    handoff_id, rasa = taken_by_ana(uow), FakeConversations()
    shown = await send_message(uow, rasa, handoff_id, ANA, "Lo reviso ahora mismo.", NOW)
    assert shown == "*Ana* (atención al cliente): Lo reviso ahora mismo."
    [(sender, [event], deliver)] = rasa.appended
    assert sender == "whatsapp:+34612345678" and deliver
    assert event == {"event": "bot", "text": shown, "metadata": {"agent": "Ana", "agent_id": ANA.id}}
    assert [(a.action, a.detail) for a in actions(uow, handoff_id)][-1] == ("message", "Lo reviso ahora mismo.")
    with pytest.raises(NotYours):
        await send_message(uow, rasa, handoff_id, BEA, "hola", NOW)
    assert len(rasa.appended) == 1


async def test_a_message_rasa_did_not_take_is_not_logged_as_sent(uow: MemoryUnitOfWork) -> None:
    handoff_id = taken_by_ana(uow)
    with pytest.raises(RasaUnavailable):
        await send_message(uow, FakeConversations(reachable=False), handoff_id, ANA, "hola", NOW)
    assert [a.action for a in actions(uow, handoff_id)] == ["take"]


async def test_handing_back_tells_the_shopper_resumes_the_assistant_then_resolves(uow: MemoryUnitOfWork) -> None:
    handoff_id, rasa = taken_by_ana(uow), FakeConversations()
    with pytest.raises(NotYours):
        await hand_back(uow, rasa, handoff_id, BEA, NOW)
    assert rasa.appended == []
    done = await hand_back(uow, rasa, handoff_id, ANA, NOW + timedelta(minutes=5))
    assert done.status is HandoffStatus.RESOLVED and done.resolved_at == NOW + timedelta(minutes=5)
    [(sender, events, deliver)] = rasa.appended
    assert sender == "whatsapp:+34612345678" and deliver
    assert [e["event"] for e in events] == ["bot", "resume", "action"] and events[2]["name"] == "action_listen"
    assert "Ana" in events[0]["text"] and events[0]["metadata"] == {"handed_back_by": "Ana"}
    assert [a.action for a in actions(uow, handoff_id)] == ["take", "hand_back"]


async def test_when_rasa_cannot_be_reached_the_conversation_is_still_the_agents(uow: MemoryUnitOfWork) -> None:
    handoff_id = taken_by_ana(uow)
    with pytest.raises(RasaUnavailable):
        await hand_back(uow, FakeConversations(reachable=False), handoff_id, ANA, NOW)
    still = get_handoff(uow, handoff_id)
    assert still.status is HandoffStatus.ASSIGNED and still.agent_id == ANA.id


def test_a_request_gets_a_reference_and_an_answer_due_in_fifteen_business_days_of_the_shoppers_region(
    uow: MemoryUnitOfWork,
) -> None:
    # Asked on Friday 11 December 2026: fifteen business days skip Christmas and New Year's Day.
    friday = datetime(2026, 12, 11, 11, tzinfo=UTC)
    national, _ = request_handoff(uow, "web-1", "socketio", "es", Reason.ASKED, [], friday)
    assert is_reference(national.reference, REQUEST) and national.answer_due_on == date(2027, 1, 5)
    # Asked on Monday 1 March 2027 about a parcel to Madrid, whose calendar keeps 19 March: a day later than
    # Barcelona's, whose next holiday (Good Friday, the 26th) comes after the answer is due.
    march = datetime(2027, 3, 1, 9, tzinfo=UTC)
    for number, postal_code in (("LP00000000000001", "08001"), ("LP00000000000002", "28001")):
        shipment = dataclasses.replace(facts(postal_code=postal_code), tracking_number=number)
        uow.state.parcels[number] = Parcel(len(uow.state.parcels) + 1, shipment, [], number, None)
    barcelona, _ = request_handoff(uow, "wa-1", "whatsapp", "es", Reason.ASKED, ["LP00000000000001"], march)
    madrid, _ = request_handoff(uow, "wa-2", "whatsapp", "es", Reason.ASKED, ["LP00000000000002"], march)
    assert barcelona.answer_due_on == date(2027, 3, 22) and madrid.answer_due_on == date(2027, 3, 23)
    assert len({national.reference, barcelona.reference, madrid.reference}) == 3
    assert by_reference(uow, madrid.reference) == madrid
    with pytest.raises(HandoffNotFound):
        by_reference(uow, "H-ZZZZZZZZ")
    with pytest.raises(HandoffNotFound):
        by_reference(uow, "C-23456789")


def test_a_reference_already_given_is_drawn_again(uow: MemoryUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["H-22222222", "H-22222222", "H-33333333"])
    monkeypatch.setattr("parcels.references.new_reference", lambda kind: next(drawn))
    first, _ = request_handoff(uow, "web-1", "socketio", "es", Reason.ASKED, [], NOW)
    second, made = request_handoff(uow, "web-2", "socketio", "es", Reason.ASKED, [], NOW)
    assert made and (first.reference, second.reference) == ("H-22222222", "H-33333333")


def test_the_first_message_of_an_agent_stops_the_clock_to_a_person(uow: MemoryUnitOfWork) -> None:
    view, _ = request_handoff(uow, "web-1", "socketio", "es", Reason.ASKED, [], NOW)
    take(uow, view.id, ANA, NOW + timedelta(minutes=1))
    record_message(uow, view.id, ANA, "Hola", NOW + timedelta(minutes=2))
    record_message(uow, view.id, ANA, "¿Sigues ahí?", NOW + timedelta(minutes=9))
    assert get_handoff(uow, view.id).first_reply_at == NOW + timedelta(minutes=2)
    assert [a.detail for a in actions(uow, view.id) if a.action == "message"] == ["Hola", "¿Sigues ahí?"]
