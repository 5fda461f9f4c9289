"""Handoffs on the real database: one open per conversation, one agent per conversation, every action logged."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from parcels.handoffs import (
    AlreadyTaken,
    HandoffStatus,
    NotYours,
    Reason,
    actions,
    add_note,
    by_reference,
    get_handoff,
    notes,
    open_handoff,
    queue,
    record_message,
    request_handoff,
    resolve,
    take,
)
from parcels.staff import Role, create_staff
from parcels.storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)


@pytest.fixture
def agents(db: Engine):  # type: ignore[no-untyped-def]
    return (
        create_staff(SqlUnitOfWork(), "ana@example.com", "Ana", Role.AGENT, "a-long-password-1"),
        create_staff(SqlUnitOfWork(), "bea@example.com", "Bea", Role.AGENT, "a-long-password-2"),
    )


def test_a_conversation_has_at_most_one_open_handoff(agents) -> None:  # type: ignore[no-untyped-def]
    first, made = request_handoff(UOW, "web-1", "socketio", "es", Reason.ASKED, ["LP00012345678901"], NOW)
    again, made_again = request_handoff(UOW, "web-1", "socketio", "es", Reason.NOT_UNDERSTOOD, [], NOW)
    assert made and not made_again and again.id == first.id and again.reason is Reason.ASKED
    assert open_handoff(UOW, "web-1") == first and open_handoff(UOW, "web-2") is None


def test_the_queue_puts_the_longest_waiting_first(agents) -> None:  # type: ignore[no-untyped-def]
    ana, _ = agents
    request_handoff(UOW, "c-late", "socketio", "es", Reason.ASKED, [], NOW + timedelta(minutes=5))
    request_handoff(UOW, "c-early", "whatsapp", "en", Reason.DISPUTE, [], NOW)
    taken, _ = request_handoff(UOW, "c-taken", "socketio", "es", Reason.ASKED, [], NOW - timedelta(minutes=5))
    take(UOW, taken.id, ana, NOW)
    assert [h.conversation for h in queue(UOW)] == ["c-early", "c-late", "c-taken"]
    assert queue(UOW)[2].agent_name == "Ana"


def test_two_agents_racing_for_a_conversation_cannot_both_take_it(agents) -> None:  # type: ignore[no-untyped-def]
    handoff, _ = request_handoff(UOW, "race", "socketio", "es", Reason.ASKED, [], NOW)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def race(agent) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            outcomes.append(take(UOW, handoff.id, agent, NOW).agent_name or "")
        except AlreadyTaken as error:
            outcomes.append(f"refused: {error}")

    threads = [threading.Thread(target=race, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if not o.startswith("refused")]
    assert len(winners) == 1 and len(outcomes) == 2
    assert get_handoff(UOW, handoff.id).agent_name == winners[0]
    assert "already by" in next(o for o in outcomes if o.startswith("refused"))


def test_only_the_agent_holding_it_hands_it_back_and_everything_is_logged(agents) -> None:  # type: ignore[no-untyped-def]
    ana, bea = agents
    handoff, _ = request_handoff(UOW, "c-1", "whatsapp", "es", Reason.DISPUTE, ["LP00012345678901"], NOW)
    with pytest.raises(NotYours):
        resolve(UOW, handoff.id, ana, NOW)  # not taken yet
    take(UOW, handoff.id, ana, NOW + timedelta(minutes=1))
    with pytest.raises(NotYours):
        resolve(UOW, handoff.id, bea, NOW + timedelta(minutes=2))
    add_note(UOW, handoff.id, ana, "  Pide revisar el importe  ", NOW + timedelta(minutes=3))
    with pytest.raises(ValueError):
        add_note(UOW, handoff.id, ana, "   ", NOW)
    done = resolve(UOW, handoff.id, ana, NOW + timedelta(minutes=4))
    assert done.status is HandoffStatus.RESOLVED and open_handoff(UOW, "c-1") is None
    assert [(n.author, n.text) for n in notes(UOW, handoff.id)] == [("Ana", "Pide revisar el importe")]
    assert [(who, what) for who, what, _, _ in actions(UOW, handoff.id)] == [
        ("Ana", "take"),
        ("Ana", "note"),
        ("Ana", "hand_back"),
    ]
    again, made = request_handoff(UOW, "c-1", "whatsapp", "es", Reason.ASKED, [], NOW + timedelta(hours=1))
    assert made and again.id != handoff.id  # a new request after the hand-back is a new handoff


def test_a_request_keeps_its_reference_due_date_and_first_message_on_the_database(agents) -> None:  # type: ignore[no-untyped-def]
    ana, _ = agents
    view, _ = request_handoff(UOW, "wa-9", "whatsapp", "es", Reason.ASKED, [], datetime(2026, 12, 11, 11, tzinfo=UTC))
    assert view.reference.startswith("H-") and view.answer_due_on == date(2027, 1, 5)
    take(UOW, view.id, ana, NOW + timedelta(minutes=1))
    record_message(UOW, view.id, ana, "Hola", NOW + timedelta(minutes=2))
    record_message(UOW, view.id, ana, "Sigo aquí", NOW + timedelta(minutes=4))
    stored = by_reference(UOW, view.reference)
    assert stored.id == view.id and stored.first_reply_at == NOW + timedelta(minutes=2)
    assert [a.action for a in actions(UOW, view.id)] == ["take", "message", "message"]
