"""One shopper's data in the app database: found from a key, listed record by record, erased, and every such
request in the audit log (``privacy_requests``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import String, cast, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from parcels.claim_records import ClaimStatus
from parcels.conversation_records import conversation_key
from parcels.handoff_records import HandoffStatus
from parcels.policy import Market
from parcels.privacy_records import KeyKind, PrivacyRequestRow, RequestKind, Subject, SubjectKey
from parcels.retention import Kept
from parcels.storage.db import rowcount
from parcels.storage.models import (
    AgentAction,
    Base,
    Claim,
    ClaimTransition,
    Consent,
    ConversationDay,
    Customer,
    Handoff,
    HandoffNote,
    Notification,
    PrivacyRequest,
    Shipment,
    TrackingEvent,
)

# claims that are accounting once granted: kept without the person; the others go with the person
KEPT_CLAIMS = (str(ClaimStatus.APPROVED), str(ClaimStatus.PAID))
ERASED_CONVERSATION = "erased-"  # an erased handoff's conversation: this and its id


class PrivacyRepository(Protocol):
    def subject(self, key: SubjectKey) -> Subject:
        """Whose data ``key`` leads to, widened once: the customers of its phone, email or parcels, and every
        phone, email, parcel and conversation of theirs."""
        ...

    def widened(self, subject: Subject, conversations: Collection[str]) -> Subject:
        """``subject`` with ``conversations`` (found in the tracker store) and the handoffs of all of them."""
        ...

    def records(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        """Every record of theirs that holds personal data, by kind."""
        ...

    def erase(self, subject: Subject, at: datetime) -> dict[str, int]:
        """Delete what can go and strip the person from what must stay; how many records of each kind."""
        ...

    def record_request(
        self, reference: str, kind: RequestKind, key: SubjectKey, actor: str, ground: str, outcome: dict[str, int],
        at: datetime,
    ) -> PrivacyRequestRow: ...  # fmt: skip

    def requests(self, limit: int) -> list[PrivacyRequestRow]:
        """The audit log, newest first."""
        ...

    def purge(self, kind: Kept, before: datetime, at: datetime, limit: int) -> int:
        """Delete, or strip the person from, at most ``limit`` records of ``kind`` past their time (their moment
        before ``before``); how many. Fewer than ``limit``: none is left."""
        ...

    def start_purge(self, reference: str, at: datetime) -> bool:
        """Log the purge ``reference`` as started; False when it already was (by another process)."""
        ...

    def finish_purge(self, reference: str, outcome: dict[str, int]) -> None: ...


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def sender_ids_of_phone(phone: str) -> set[str]:
    """The conversations a phone number writes in: WhatsApp's ``whatsapp:+34…`` and SMS's ``+34…``."""
    return {f"whatsapp:{phone}", phone}


class SqlPrivacy:
    def __init__(self, session: Session) -> None:
        self._session = session

    # ---------------------------------------------------------------------------------------------- finding

    def subject(self, key: SubjectKey) -> Subject:
        s = self._session
        customers: set[int] = set()
        phones: set[str] = set()
        shipments: set[int] = set()
        conversations: set[str] = set()
        live = Shipment.erased_at.is_(None)
        if key.kind is KeyKind.PHONE:
            phones.add(key.value)
        elif key.kind is KeyKind.EMAIL:
            customers |= set(s.scalars(select(Customer.id).where(func.lower(Customer.email) == key.value)))
        elif key.kind in (KeyKind.TRACKING_NUMBER, KeyKind.ORDER):
            column = Shipment.tracking_number if key.kind is KeyKind.TRACKING_NUMBER else Shipment.order_ref
            for shipment_id, customer_id in s.execute(
                select(Shipment.id, Shipment.customer_id).where(column == key.value, live)
            ):
                shipments.add(shipment_id)
                if customer_id is not None:
                    customers.add(customer_id)
        else:
            conversations.add(key.value)
            phone = key.value.removeprefix("whatsapp:")
            if phone.startswith("+") and phone[1:].isdigit():
                phones.add(phone)
            about = select(Handoff.tracking_numbers).where(
                Handoff.conversation == key.value, Handoff.erased_at.is_(None)
            )
            spoken = {number for numbers in s.scalars(about) for number in numbers}
            for shipment_id, customer_id in s.execute(
                select(Shipment.id, Shipment.customer_id).where(Shipment.tracking_number.in_(spoken), live)
            ):
                shipments.add(shipment_id)
                if customer_id is not None:
                    customers.add(customer_id)
            if key.value.startswith("inbox-"):
                customers |= set(s.scalars(select(Customer.id).where(Customer.inbox_key == key.value[len("inbox-") :])))
        if phones:
            customers |= set(s.scalars(select(Customer.id).where(Customer.phone.in_(phones))))
        # one round: the customers' own phones and emails lead to the records filed under them
        emails: set[str] = set()
        for phone_, email in s.execute(select(Customer.phone, Customer.email).where(Customer.id.in_(customers))):
            if phone_:
                phones.add(phone_)
            if email:
                emails.add(email.lower())
        if phones or emails:
            same = or_(Customer.phone.in_(phones), func.lower(Customer.email).in_(emails))
            customers |= set(s.scalars(select(Customer.id).where(same)))
        shipments |= set(s.scalars(select(Shipment.id).where(Shipment.customer_id.in_(customers), live)))
        numbers, orders = set(), set()
        for number, order, inbox in s.execute(
            select(Shipment.tracking_number, Shipment.order_ref, Customer.inbox_key)
            .outerjoin(Customer, Customer.id == Shipment.customer_id)
            .where(Shipment.id.in_(shipments))
        ):
            numbers.add(number)
            if order:
                orders.add(order)
            if inbox:
                conversations.add(f"inbox-{inbox}")
        for inbox in s.scalars(
            select(Customer.inbox_key).where(Customer.id.in_(customers), Customer.inbox_key.is_not(None))
        ):
            conversations.add(f"inbox-{inbox}")
        for phone_ in phones:
            conversations |= sender_ids_of_phone(phone_)
        subject = Subject(
            frozenset(customers), frozenset(phones), frozenset(emails), frozenset(shipments), frozenset(numbers),
            frozenset(orders), frozenset(conversations),
        )  # fmt: skip
        return self.widened(subject, ())

    def widened(self, subject: Subject, conversations: Collection[str]) -> Subject:
        every = set(subject.conversations) | set(conversations)
        about = [
            cast(Handoff.tracking_numbers, String).contains(f'"{n}"', autoescape=True) for n in subject.tracking_numbers
        ]
        if about:
            query = select(Handoff.conversation).where(Handoff.erased_at.is_(None), or_(*about))
            every |= set(self._session.scalars(query))
        return Subject(
            subject.customer_ids, subject.phones, subject.emails, subject.shipment_ids, subject.tracking_numbers,
            subject.order_refs, frozenset(every),
        )  # fmt: skip

    def _handoffs(self, subject: Subject) -> list[Handoff]:
        if not subject.conversations:
            return []
        query = select(Handoff).where(Handoff.conversation.in_(subject.conversations), Handoff.erased_at.is_(None))
        return list(self._session.scalars(query.order_by(Handoff.id)))

    def _claims(self, subject: Subject) -> list[Claim]:
        query = select(Claim).where(Claim.shipment_id.in_(subject.shipment_ids), Claim.erased_at.is_(None))
        return list(self._session.scalars(query.order_by(Claim.id)))

    def _notifications(self, subject: Subject) -> Any:
        return or_(
            Notification.shipment_id.in_(subject.shipment_ids),
            Notification.recipient.in_(subject.phones | subject.conversations),
        )

    def records(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        s = self._session
        found: dict[str, list[dict[str, Any]]] = {}
        found["customers"] = [
            {
                "name": c.name, "phone": c.phone, "email": c.email, "language": c.locale,
                "preferred_channel": c.preferred_channel, "web_inbox": c.inbox_key is not None,
                "since": _iso(c.created_at),
            }
            for c in s.scalars(select(Customer).where(Customer.id.in_(subject.customer_ids)).order_by(Customer.id))
        ]  # fmt: skip
        events: dict[int, list[dict[str, Any]]] = {}
        history = select(TrackingEvent).where(TrackingEvent.shipment_id.in_(subject.shipment_ids))
        for e in s.scalars(history.order_by(TrackingEvent.occurred_at, TrackingEvent.id)):
            events.setdefault(e.shipment_id, []).append(
                {"code": e.code, "stage": e.stage, "at": _iso(e.occurred_at), "location": e.location}
            )
        found["shipments"] = [
            {
                "tracking_number": p.tracking_number, "order": p.order_ref, "product": p.product_code,
                "market": p.market_code, "from": p.origin_country, "postal_code": p.destination_postal_code,
                "city": p.destination_city, "paid_at": _iso(p.paid_at), "promised_date": _iso(p.promised_date),
                "delivered_at": _iso(p.delivered_at), "since": _iso(p.created_at), "events": events.get(p.id, []),
            }
            for p in s.scalars(select(Shipment).where(Shipment.id.in_(subject.shipment_ids)).order_by(Shipment.id))
        ]  # fmt: skip
        claims = self._claims(subject)
        steps: dict[int, list[dict[str, Any]]] = {}
        query = select(ClaimTransition).where(ClaimTransition.claim_id.in_([c.id for c in claims]))
        for t in s.scalars(query.order_by(ClaimTransition.id)):
            steps.setdefault(t.claim_id, []).append(
                {"at": _iso(t.at), "from": t.from_status, "to": t.to_status, "by": t.actor_kind, "note": t.note}
            )
        found["claims"] = [
            {
                "reference": c.reference, "tracking_number": c.tracking_number, "order": c.order_key,
                "status": c.status, "amount": _money(c.amount), "currency": c.currency, "form": c.form,
                "days_late": c.days_late, "channel": c.channel, "verified_by": c.verified_by, "note": c.note,
                "requested_at": _iso(c.requested_at), "updated_at": _iso(c.updated_at), "history": steps.get(c.id, []),
            }
            for c in claims
        ]  # fmt: skip
        found["notifications"] = [
            {
                "message": n.kind, "channel": n.channel, "to": n.recipient, "language": n.locale,
                "variables": n.variables, "status": n.status, "reason": n.reason, "written_at": _iso(n.created_at),
                "updated_at": _iso(n.updated_at),
            }
            for n in s.scalars(select(Notification).where(self._notifications(subject)).order_by(Notification.id))
        ]  # fmt: skip
        found["consents"] = [
            {"phone": c.phone, "channel": c.channel, "purpose": c.purpose, "action": c.action, "text": c.text,
             "at": _iso(c.at)}
            for c in s.scalars(select(Consent).where(Consent.phone.in_(subject.phones)).order_by(Consent.id))
        ]  # fmt: skip
        handoffs = self._handoffs(subject)
        ids = [h.id for h in handoffs]
        notes: dict[int, list[dict[str, Any]]] = {}
        for n in s.scalars(select(HandoffNote).where(HandoffNote.handoff_id.in_(ids)).order_by(HandoffNote.id)):
            notes.setdefault(n.handoff_id, []).append({"text": n.text, "at": _iso(n.at)})
        acts: dict[int, list[dict[str, Any]]] = {}
        query_ = select(AgentAction).where(AgentAction.handoff_id.in_(ids)).order_by(AgentAction.id)
        for a in s.scalars(query_):
            acts.setdefault(a.handoff_id or 0, []).append({"action": a.action, "detail": a.detail, "at": _iso(a.at)})
        found["handoffs"] = [
            {
                "reference": h.reference, "conversation": h.conversation, "channel": h.channel,
                "language": h.language, "reason": h.reason, "status": h.status, "parcels": h.tracking_numbers,
                "requested_at": _iso(h.requested_at), "first_reply_at": _iso(h.first_reply_at),
                "resolved_at": _iso(h.resolved_at), "answer_due_on": _iso(h.answer_due_on),
                "notes": notes.get(h.id, []), "agents": acts.get(h.id, []),
            }
            for h in handoffs
        ]  # fmt: skip
        keys = [conversation_key(c) for c in subject.conversations]
        query__ = select(ConversationDay).where(ConversationDay.conversation_key.in_(keys))
        found["conversation_days"] = [
            {"day": _iso(d.day), "channel": d.channel, "language": d.language, "first_at": _iso(d.first_at),
             "last_at": _iso(d.last_at), "messages": d.messages}
            for d in s.scalars(query__.order_by(ConversationDay.day, ConversationDay.conversation_key))
        ]  # fmt: skip
        return {kind: rows for kind, rows in found.items() if rows}

    # ---------------------------------------------------------------------------------------------- erasing

    def erase(self, subject: Subject, at: datetime) -> dict[str, int]:
        s = self._session
        erased: dict[str, int] = {}
        handoffs = self._handoffs(subject)
        if handoffs:
            erased["handoff_notes"] = self._strip_handoffs(handoffs, at)
            erased["handoffs"] = len(handoffs)
        keys = [conversation_key(c) for c in subject.conversations]
        if keys:
            days = delete(ConversationDay).where(ConversationDay.conversation_key.in_(keys))
            erased["conversation_days"] = rowcount(s.execute(days))
        erased["notifications"] = rowcount(s.execute(delete(Notification).where(self._notifications(subject))))
        claims = self._claims(subject)
        kept = [c.id for c in claims if c.status in KEPT_CLAIMS]
        gone = [c.id for c in claims if c.status not in KEPT_CLAIMS]
        if kept:
            s.execute(update(ClaimTransition).where(ClaimTransition.claim_id.in_(kept)).values(note=None))
            s.execute(
                update(Claim)
                .where(Claim.id.in_(kept))
                .values(note=None, order_key=literal("erased:") + Claim.reference, erased_at=at)
            )
        if gone:
            s.execute(delete(ClaimTransition).where(ClaimTransition.claim_id.in_(gone)))
            s.execute(delete(Claim).where(Claim.id.in_(gone)))
        erased["claims_kept_without_the_person"], erased["claims"] = len(kept), len(gone)
        if subject.phones:
            consents = update(Consent).where(Consent.phone.in_(subject.phones)).values(phone="", text="")
            erased["consents_kept_without_the_person"] = rowcount(s.execute(consents))
        if subject.shipment_ids:
            self._strip_shipments(subject.shipment_ids, at)
            erased["shipments_kept_without_the_person"] = len(subject.shipment_ids)
        customers = delete(Customer).where(Customer.id.in_(subject.customer_ids))
        erased["customers"] = rowcount(s.execute(customers)) if subject.customer_ids else 0
        return {kind: n for kind, n in erased.items() if n}

    def _strip_handoffs(self, handoffs: list[Handoff], at: datetime) -> int:
        """Take the shopper out of ``handoffs``: their conversation, parcels, agents' notes and messages; resolve
        the open ones. Their times and references stay. How many notes went."""
        s, ids = self._session, [h.id for h in handoffs]
        notes = rowcount(s.execute(delete(HandoffNote).where(HandoffNote.handoff_id.in_(ids))))
        s.execute(update(AgentAction).where(AgentAction.handoff_id.in_(ids)).values(detail=None))
        for h in handoffs:
            h.conversation = f"{ERASED_CONVERSATION}{h.id}"
            h.tracking_numbers = []
            h.erased_at = at
            if h.status != str(HandoffStatus.RESOLVED):
                h.status, h.resolved_at = str(HandoffStatus.RESOLVED), at
        s.flush()
        return notes

    # ---------------------------------------------------------------------------------------------- retention

    def purge(self, kind: Kept, before: datetime, at: datetime, limit: int) -> int:
        s = self._session
        if kind is Kept.CONVERSATIONS:
            old = select(Handoff).where(Handoff.erased_at.is_(None), Handoff.requested_at < before)
            handoffs = list(s.scalars(old.order_by(Handoff.id).limit(limit)))
            if handoffs:
                self._strip_handoffs(handoffs, at)
            return len(handoffs)
        if kind is Kept.CONVERSATION_DAYS:
            keys = s.execute(
                select(ConversationDay.conversation_key, ConversationDay.day)
                .where(ConversationDay.day < before.date())
                .limit(limit)
            ).all()
            for key, day in keys:
                s.execute(
                    delete(ConversationDay).where(ConversationDay.conversation_key == key, ConversationDay.day == day)
                )
            return len(keys)
        if kind is Kept.CUSTOMERS:
            latest = func.coalesce(func.max(Shipment.paid_at), Customer.created_at)
            query = (
                select(Customer.id)
                .outerjoin(Shipment, Shipment.customer_id == Customer.id)
                .group_by(Customer.id, Customer.created_at)
                .having(latest < before)
                .limit(limit)
            )
            customers = frozenset(s.scalars(query))
            if customers:
                parcels = frozenset(s.scalars(select(Shipment.id).where(Shipment.customer_id.in_(customers))))
                # their parcels' notifications, claims and handoffs keep their own times
                self._strip_shipments(parcels, at)
                s.execute(delete(Customer).where(Customer.id.in_(customers)))
            return len(customers)
        kept: dict[Kept, tuple[type[Base], InstrumentedAttribute[int], InstrumentedAttribute[datetime]]] = {
            Kept.NOTIFICATIONS: (Notification, Notification.id, Notification.created_at),
            Kept.HANDOFFS: (Handoff, Handoff.id, Handoff.requested_at),
            Kept.CLAIMS: (Claim, Claim.id, Claim.updated_at),
            Kept.CONSENTS: (Consent, Consent.id, Consent.at),
        }
        table, id_column, moment = kept[kind]
        ids = list(s.scalars(select(id_column).where(moment < before).order_by(id_column).limit(limit)))
        if not ids:
            return 0
        if kind is Kept.HANDOFFS:
            s.execute(delete(HandoffNote).where(HandoffNote.handoff_id.in_(ids)))
            s.execute(update(AgentAction).where(AgentAction.handoff_id.in_(ids)).values(handoff_id=None, detail=None))
        if kind is Kept.CLAIMS:
            s.execute(delete(ClaimTransition).where(ClaimTransition.claim_id.in_(ids)))
        s.execute(delete(table).where(id_column.in_(ids)))
        return len(ids)

    def _strip_shipments(self, shipment_ids: Collection[int], at: datetime) -> None:
        """No customer, order or town on the parcels, their postal codes cut to the province, their events
        without places."""
        s = self._session
        if not shipment_ids:
            return
        s.execute(update(TrackingEvent).where(TrackingEvent.shipment_id.in_(shipment_ids)).values(location=None))
        for shipment in s.scalars(select(Shipment).where(Shipment.id.in_(shipment_ids))):
            shipment.customer_id, shipment.order_ref, shipment.destination_city = None, None, None
            shipment.destination_postal_code = Market.province(shipment.destination_postal_code) + "000"
            shipment.erased_at = at
        s.flush()

    def start_purge(self, reference: str, at: datetime) -> bool:
        if self._session.scalar(select(PrivacyRequest.id).where(PrivacyRequest.reference == reference)) is not None:
            return False
        row = PrivacyRequest(
            reference=reference, kind=str(RequestKind.PURGE), actor="notifier", ground="retention times", outcome={},
            at=at,
        )  # fmt: skip
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:  # another notifier started it a moment ago
            return False
        return True

    def finish_purge(self, reference: str, outcome: dict[str, int]) -> None:
        self._session.execute(
            update(PrivacyRequest).where(PrivacyRequest.reference == reference).values(outcome=outcome)
        )

    # ---------------------------------------------------------------------------------------------- the log

    def record_request(
        self, reference: str, kind: RequestKind, key: SubjectKey, actor: str, ground: str, outcome: dict[str, int],
        at: datetime,
    ) -> PrivacyRequestRow:  # fmt: skip
        row = PrivacyRequest(
            reference=reference, kind=str(kind), key_kind=str(key.kind), key_masked=key.masked,
            key_digest=key.digest, actor=actor, ground=ground, outcome=outcome, at=at,
        )  # fmt: skip
        self._session.add(row)
        self._session.flush()
        return _request_row(row)

    def requests(self, limit: int) -> list[PrivacyRequestRow]:
        query = select(PrivacyRequest).order_by(PrivacyRequest.at.desc(), PrivacyRequest.id.desc()).limit(limit)
        return [_request_row(r) for r in self._session.scalars(query)]


def _request_row(r: PrivacyRequest) -> PrivacyRequestRow:
    return PrivacyRequestRow(
        r.id, r.reference, RequestKind(r.kind), None if r.key_kind is None else KeyKind(r.key_kind),
        r.key_masked or "", r.actor, r.ground, dict(r.outcome), r.at,
    )  # fmt: skip
