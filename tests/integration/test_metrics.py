"""The dashboard's figures on the real database (SQLite, and PostgreSQL in its run): a known set of shipments,
events, claims, notifications, opt-outs and handoffs, and every number each section gives.

The moment is Saturday 12 December 2026, 13:00 in Madrid; the period runs from Monday 2 November to Sunday
13 December. CHOICE_9 promises nine calendar days and pays 1.00 / 3.00 / 10.00 from 1 / 4 / 10 days late;
STANDARD fifteen business days and 2.00 from one day late. Stage 1 typically takes 1 day for CHOICE_9 (2 for
STANDARD), stage 4 three days and stage 5 one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from parcels import dashboard
from parcels.agent_hours import current_agent_hours
from parcels.claim_records import Actor, ActorKind, ClaimStatus
from parcels.claims import make_claim, update_claim
from parcels.conversation_days import count_message
from parcels.handoffs import Reason, record_message, request_handoff
from parcels.ingest import ingest_events
from parcels.outbox_records import ConsentRecord
from parcels.policy import current_policy
from parcels.shipments import register_shipments
from parcels.staff import Role, create_staff
from parcels.storage.db import session_scope
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.factories import event_record, notification_row, shipment_record

UOW = SqlUnitOfWork()  # on the test database (DATABASE_URL)
NOW = datetime(2026, 12, 12, 12, tzinfo=UTC)
SPAN = dashboard.Period(date(2026, 11, 2), date(2026, 12, 13), None, ZoneInfo("Europe/Madrid"))
MADRID, BARCELONA = "28013", "08001"

# number: (product, paid at, postal code, events as (code, at)); parcels A to K are numbered 1 to 11
PARCELS = {
    "LP00000000000001": ("CHOICE_9", "2026-11-27T10:00:00Z", MADRID, [("GTMS_SIGNED", "2026-12-05T10:00:00Z")]),
    "LP00000000000002": (
        "CHOICE_9",
        "2026-11-27T10:00:00Z",
        MADRID,
        [
            ("EMA", "2026-11-27T15:00:00Z"),
            ("EMC", "2026-11-29T10:00:00Z"),  # collection took 2 days: 1 over
            ("EMD", "2026-12-06T10:00:00Z"),  # line-haul 7 days: 4 over
            ("EMG", "2026-12-09T10:00:00Z"),  # import customs 3 days: 2 over
            ("GTMS_SIGNED", "2026-12-10T10:00:00Z"),  # last mile 1 day: on time; 4 days late
        ],
    ),
    "LP00000000000003": ("CHOICE_9", "2026-11-27T10:00:00Z", MADRID, [("EMC", "2026-11-29T10:00:00Z")]),  # still out
    "LP00000000000004": (
        "CHOICE_9",
        "2026-11-27T10:00:00Z",
        MADRID,
        [("EMA", "2026-11-27T15:00:00Z"), ("GTMS_ADDRESS_ISSUE", "2026-12-04T10:00:00Z")],  # excluded
    ),
    "LP00000000000005": ("CHOICE_9", "2026-12-04T10:00:00Z", MADRID, [("EMA", "2026-12-04T15:00:00Z")]),  # open
    "LP00000000000006": (
        "CHOICE_9",
        "2026-11-29T10:00:00Z",
        BARCELONA,
        [("EMA", "2026-11-29T15:00:00Z"), ("GTMS_SIGNED", "2026-12-09T09:00:00Z")],  # a day late
    ),
    "LP00000000000007": ("CHOICE_9", "2026-11-29T10:00:00Z", BARCELONA, [("GTMS_SIGNED", "2026-12-07T10:00:00Z")]),
    "LP00000000000008": ("CHOICE_9", "2026-10-27T10:00:00Z", MADRID, []),  # due 5 November, never seen since
    "LP00000000000009": ("PREMIUM", "2026-12-01T10:00:00Z", MADRID, [("GTMS_SIGNED", "2026-12-09T10:00:00Z")]),
    "LP00000000000010": ("STANDARD", "2026-11-12T10:00:00Z", MADRID, [("GTMS_SIGNED", "2026-12-05T10:00:00Z")]),
    "LP00000000000011": ("CHOICE_9", "2026-12-10T10:00:00Z", MADRID, []),  # due 19 December: after the period
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def known(db: Engine) -> dict[str, int]:
    records = [
        shipment_record(
            number, order_ref=f"ORD-{number}", product=product, paid_at=paid, destination_postal_code=postal
        )
        for number, (product, paid, postal, _) in PARCELS.items()
    ]
    assert len(register_shipments(UOW, records).accepted) == len(PARCELS)
    events = [
        event_record(f"{number}-{i}", code, when, number)
        for number, (_, _, _, history) in PARCELS.items()
        for i, (code, when) in enumerate(history)
    ]
    ingest_events(UOW, events, NOW - timedelta(days=1))
    staff = Actor(ActorKind.STAFF, "alba@example.com")
    b = make_claim(UOW, "LP00000000000002", at("2026-12-11T09:00:00Z"), "web", postal_code=MADRID).claim
    assert b is not None and b.status is ClaimStatus.APPROVED and str(b.amount) == "3.00"
    update_claim(UOW, b.reference, ClaimStatus.PAID, at("2026-12-11T10:00:00Z"), staff)
    j = make_claim(UOW, "LP00000000000010", at("2026-12-05T12:00:00Z"), "whatsapp", postal_code=MADRID).claim
    assert j is not None and j.status is ClaimStatus.REQUESTED and str(j.amount) == "2.00"
    ids = {number: UOW_shipment_id(number) for number in PARCELS}
    sent_at = at("2026-12-07T09:00:00Z")
    with session_scope() as session:
        for number, kind, channel, locale, status, reason in (
            ("LP00000000000002", "promise_broken", "whatsapp", "es", "read", None),
            ("LP00000000000003", "promise_broken", "whatsapp", "es", "delivered", None),
            ("LP00000000000006", "promise_broken", "sms", "es", "failed", "Twilio error 30007"),
            ("LP00000000000008", "promise_broken", "web", "es", "sent", None),
            ("LP00000000000010", "delivered_late", "whatsapp", "en", "failed", "21610: the recipient opted out (STOP)"),
            ("LP00000000000004", "promise_broken", "none", "es", "skipped", "the customer opted out"),
            ("LP00000000000001", "promise_at_risk", "whatsapp", "es", "read", None),  # written before the period
        ):
            written = at("2026-10-30T09:00:00Z") if kind == "promise_at_risk" else sent_at
            session.add(
                notification_row(
                    ids[number],
                    status,
                    written,
                    dedupe_key=f"{ids[number]}:{kind}",
                    kind=kind,
                    channel=channel,
                    locale=locale,
                    reason=reason,
                    recipient="+34600000020" if number == "LP00000000000002" else "+34612345678",
                )
            )
    with UOW.begin() as repos:
        for channel, when in (("whatsapp", "2026-12-06T10:00:00Z"), ("sms", "2026-12-07T10:00:00Z")):
            repos.consents.add(ConsentRecord("+34600000001", channel, "service", "opt_out", "BAJA", at(when)))
        repos.consents.add(
            ConsentRecord("+34600000002", "whatsapp", "service", "opt_out", "STOP", at("2026-10-01T10:00:00Z"))
        )
        repos.consents.add(
            ConsentRecord("+34600000003", "whatsapp", "service", "opt_in", "ALTA", at("2026-12-08T10:00:00Z"))
        )
    madrid = ZoneInfo("Europe/Madrid")
    for sender, channel, language, when in (
        ("whatsapp:+34600000020", "whatsapp", "es", "2026-12-07T12:00:00Z"),  # after B's message: a reply
        ("whatsapp:+34600000020", "whatsapp", "es", "2026-12-07T12:05:00Z"),
        ("whatsapp:+34612345678", "whatsapp", "es", "2026-12-06T10:00:00Z"),  # before C's message: not a reply
        ("whatsapp:+34600000011", "whatsapp", "es", "2026-11-30T09:59:00Z"),  # handed to a person (h1)
        ("web-3", "socketio", "en", "2026-12-02T21:59:00Z"),  # handed to a person (h3)
        ("web-9", "socketio", "es", "2026-12-10T10:00:00Z"),
        ("web-9", "socketio", "es", "2026-10-10T10:00:00Z"),  # before the period
    ):
        count_message(UOW, sender, channel, language, at(when), madrid)
    ana = create_staff(UOW, "ana@example.com", "Ana", Role.AGENT, "a-long-password-1")
    handoffs = {}
    for name, conversation, channel, language, reason, asked, answered_after in (
        ("h0", "whatsapp:+34600000010", "whatsapp", "es", Reason.ASKED, "2026-11-02T10:00:00Z", None),
        ("h1", "whatsapp:+34600000011", "whatsapp", "es", Reason.ASKED, "2026-11-30T10:00:00Z", 120),
        ("h2", "whatsapp:+34600000012", "whatsapp", "es", Reason.NOT_UNDERSTOOD, "2026-12-01T10:00:00Z", 600),
        # 23:00 in Madrid: agents are back at 09:00 (08:00 UTC), and the clock starts then
        ("h3", "web-3", "socketio", "en", Reason.ASKED, "2026-12-02T22:00:00Z", 10 * 3600 + 90),
        ("h4", "web-4", "socketio", "es", Reason.DISPUTE, "2026-12-11T10:00:00Z", None),
        ("h5", "web-5", "socketio", "es", Reason.ASKED, "2026-12-14T10:00:00Z", None),  # after the period
    ):
        view, _ = request_handoff(UOW, conversation, channel, language, reason, [], at(asked))
        handoffs[name] = view.id
        if answered_after is not None:
            record_message(UOW, view.id, ana, "Hola", at(asked) + timedelta(seconds=answered_after))
    return handoffs


def UOW_shipment_id(number: str) -> int:
    with UOW.begin() as repos:
        parcel = repos.parcels.get(number)
    assert parcel is not None
    return parcel.id


def test_promises_kept_broken_excluded_and_open_per_week_product_and_province(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.promises(UOW, SPAN, NOW, current_policy())
    assert figures["totals"] == {"kept": 3, "broken": 5, "excluded": 1, "open": 1, "on_time_rate": 0.375}
    assert figures["tables"]["weeks"]["rows"] == [
        ["2026-11-02", "CHOICE_9", 0, 1, 0, 0, 0.0],
        ["2026-11-30", "CHOICE_9", 1, 2, 1, 0, 0.3333],
        ["2026-11-30", "STANDARD", 0, 1, 0, 0, 0.0],
        ["2026-12-07", "CHOICE_9", 1, 1, 0, 1, 0.5],
        ["2026-12-07", "PREMIUM", 1, 0, 0, 0, 1.0],
    ]
    assert figures["tables"]["provinces"]["rows"] == [
        ["08", "Barcelona", 1, 1, 0, 0, 0.5],
        ["28", "Madrid", 2, 4, 1, 1, 0.3333],
    ]
    only = dashboard.promises(UOW, dashboard.Period(SPAN.first, SPAN.last, "PREMIUM", SPAN.zone), NOW, current_policy())
    assert only["totals"] == {"kept": 1, "broken": 0, "excluded": 0, "open": 0, "on_time_rate": 1.0}


def test_where_the_time_goes_and_the_parcels_behind_a_bar(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.stages(UOW, SPAN, NOW, current_policy())
    assert figures["tables"]["weeks"]["rows"] == [
        ["2026-11-02", 1, "collection", 1, 45.1, 45.1],  # H: 46 days 2 hours at collection, 1 typical
        ["2026-11-30", 1, "collection", 3, 23.0, 7.7],  # B 1, C 1, J 21 (23 days, STANDARD's 2 typical)
        ["2026-11-30", 4, "line_haul", 2, 14.1, 7.0],  # B 4, C 10.08 (13 days 2 hours so far)
        ["2026-11-30", 5, "import_customs", 1, 2.0, 2.0],
        ["2026-12-07", 1, "collection", 1, 9.0, 9.0],  # F: no later stage before its attempt
    ]
    behind = dashboard.stage_parcels(UOW, SPAN, NOW, current_policy(), date(2026, 11, 30), 4)
    assert behind["total"] == 2
    assert behind["tables"]["parcels"]["rows"] == [
        ["LP00000000000003", "CHOICE_9", "2026-12-06", 6, 10.1, "3.00", "EUR"],
        ["LP00000000000002", "CHOICE_9", "2026-12-06", 4, 4.0, "3.00", "EUR"],
    ]


def test_compensation_owed_claimed_granted_paid_and_expired_and_claims_time_to_a_decision(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.compensation(UOW, SPAN, NOW, current_policy(), current_agent_hours())
    assert figures["totals"] == {
        "EUR": {"owed": "19.00", "claimed": "5.00", "granted": "3.00", "paid": "3.00", "expired": "10.00"}
    }
    assert figures["tables"]["weeks"]["rows"] == [
        ["2026-11-02", "CHOICE_9", "EUR", "10.00", "0.00", "0.00", "0.00", "10.00"],  # H: 37 days late, window shut
        ["2026-11-30", "CHOICE_9", "EUR", "6.00", "3.00", "3.00", "3.00", "0.00"],  # B paid, C 6 days late
        ["2026-11-30", "STANDARD", "EUR", "2.00", "2.00", "0.00", "0.00", "0.00"],  # J claimed, not decided
        ["2026-12-07", "CHOICE_9", "EUR", "1.00", "0.00", "0.00", "0.00", "0.00"],  # F
    ]
    assert figures["claims"] == {
        "made": 2,
        "decided": 1,
        "decided_within_limit": 1,
        "decided_late": 0,
        "pending": 1,
        "pending_past_limit": 0,
        "limit_business_days": 15,
        "p50_business_days": 0,
        "p95_business_days": 0,
    }


def test_the_message_funnel_opt_outs_and_failures_in_words(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.messages(UOW, SPAN)
    assert figures["totals"] == {
        "detected": 6,
        "queued": 5,
        "sent": 3,
        "delivered": 2,
        "read": 1,
        "replied": 1,
        "failed": 2,
        "skipped": 1,
        "opted_out": 2,
    }
    assert figures["tables"]["funnel"]["rows"] == [
        ["delivered_late", "whatsapp", "en", 1, 1, 0, 0, 0, 0, 1, 0],
        ["promise_broken", "none", "es", 1, 0, 0, 0, 0, 0, 0, 1],
        ["promise_broken", "sms", "es", 1, 1, 0, 0, 0, 0, 1, 0],
        ["promise_broken", "web", "es", 1, 1, 1, 0, 0, 0, 0, 0],
        ["promise_broken", "whatsapp", "es", 2, 2, 2, 2, 1, 1, 0, 0],
    ]
    assert figures["tables"]["failures"]["rows"] == [
        ["the carrier filtered the message as spam (30007)", 1],
        ["the recipient opted out (STOP) (21610)", 1],
    ]
    assert figures["tables"]["opt_outs"]["rows"] == [["sms", 1], ["whatsapp", 1]]


def test_handoffs_the_time_to_a_person_and_the_answers_due(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.conversations(UOW, SPAN, NOW, current_agent_hours(), current_policy())
    assert figures["totals"] == {
        "conversations": 5,
        "settled_without_a_person_share": 0.6,
        "handoffs": 5,
        "answered": 3,
        "attended_within_limit": 2,
        "attended_share": 0.4,
        "limit_seconds": 180,
        "p50_seconds": 120,
        "p95_seconds": 600,
    }
    tables = figures["tables"]
    assert tables["settled"]["rows"] == [
        ["socketio", "en", 1, 1, 0, 0.0],
        ["socketio", "es", 1, 0, 1, 1.0],
        ["whatsapp", "es", 3, 1, 2, 0.6667],
    ]
    assert tables["reasons"]["rows"] == [
        ["socketio", "en", "asked", 1],
        ["socketio", "es", "dispute", 1],
        ["whatsapp", "es", "asked", 2],
        ["whatsapp", "es", "not_understood", 1],
    ]
    assert tables["time_to_person"]["rows"] == [
        ["socketio", False, 1, 90, 90, 180],
        ["whatsapp", True, 2, 120, 600, 180],
    ]
    assert tables["attended_by_week"]["rows"] == [
        ["2026-11-02", "whatsapp", 1, 0, 0.0],
        ["2026-11-30", "socketio", 1, 1, 1.0],
        ["2026-11-30", "whatsapp", 2, 1, 0.5],
        ["2026-12-07", "socketio", 1, 0, 0.0],
    ]
    [due] = tables["answers_due"]["rows"]  # h0, unanswered since 2 November: due 23 November
    assert due[1:] == ["whatsapp", "waiting", "2026-11-02T10:00:00+00:00", "2026-11-23", True]


def test_the_summary_gives_the_headline_figures(known) -> None:  # type: ignore[no-untyped-def]
    figures = dashboard.summary(UOW, SPAN, NOW, current_policy(), current_agent_hours())
    assert figures == {
        "period": {"from": "2026-11-02", "to": "2026-12-13", "product": None},
        "on_time_rate": 0.375,
        "broken": 5,
        "compensation": {"EUR": {"owed": "19.00", "paid": "3.00"}},
        "notifications": {"sent": 3, "read": 1},
        "time_to_person_p95_seconds": 600,
        "attended_within_limit_share": 0.4,
    }


def test_a_review_is_made_once_and_made_again_when_the_events_change(known) -> None:  # type: ignore[no-untyped-def]
    policy = current_policy()
    assert dashboard.refresh_reviews(UOW, SPAN, NOW, policy) == 6  # B, C, D, F, H and J
    assert dashboard.refresh_reviews(UOW, SPAN, NOW, policy) == 0
    ingest_events(UOW, [event_record("c-late", "EMD", "2026-12-11T10:00:00Z", "LP00000000000003")], NOW)
    assert dashboard.refresh_reviews(UOW, SPAN, NOW, policy) == 1
    stages = {(row[0], row[1]): row[3:] for row in dashboard.stages(UOW, SPAN, NOW, policy)["tables"]["weeks"]["rows"]}
    # C left line-haul on 11 December (12 days, 9 over) and has been at import customs for a day since
    assert stages[("2026-11-30", 4)] == [2, 13.0, 6.5] and stages[("2026-11-30", 5)] == [2, 2.1, 1.0]
