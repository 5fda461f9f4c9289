"""In-memory fakes of the repositories and the unit of work, for unit tests of the use cases.

They keep the promises of the SQL ones that the use cases rely on: one claim per order (``DuplicateClaim``),
one account per email (``DuplicateStaff``), steps in the order they were taken, one open handoff per conversation
(``DuplicateHandoff``), a handoff taken only while it waits, and nothing kept from a transaction that raised.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from parcels.claim_records import ClaimStatus, ClaimView, Parcel, TransitionView
from parcels.conversation_records import ConversationDayRow, NotifiedDay, conversation_key, notified_conversation
from parcels.detection_records import Contact, DetectedShipment, Forecast, GrantedClaim
from parcels.handoff_records import ActionView, HandoffStatus, HandoffView, NoteView, Reason
from parcels.metric_records import (
    ClaimedPromise,
    ClaimTiming,
    HandoffClock,
    HandoffTiming,
    NotificationCount,
    OpenOverrun,
    PromiseCount,
    PromiseTotals,
    ReviewedPromise,
    StageFigures,
    StageOverrun,
    StageParcel,
    UnkeptGroup,
)
from parcels.outbox_records import Channel, ConsentRecord, EarlyStatus, Kind, OutboxMessage, Status
from parcels.policy import Grant, Policy
from parcels.privacy_records import KeyKind, PrivacyRequestRow, RequestKind, Subject, SubjectKey
from parcels.promise import arrival_horizon
from parcels.retention import Kept
from parcels.shipment_records import IncomingEvent, NewShipment
from parcels.staff_records import Role, StaffAccount, StaffMember
from parcels.stages import EventKind, Stage
from parcels.status import ordered
from parcels.storage.conversation_archive import NEEDLES, transcript_entry
from parcels.storage.detection_store import GRANTED
from parcels.storage.metrics_store import DECIDED as _DECISIONS
from parcels.storage.outbox_store import OPTED_OUT
from parcels.storage.privacy_store import ERASED_CONVERSATION, KEPT_CLAIMS, sender_ids_of_phone
from parcels.storage.repositories import DuplicateClaim, DuplicateHandoff
from parcels.storage.staff_store import DuplicateStaff
from parcels.storage.unit_of_work import Repositories
from parcels.template_records import Version, VersionStatus


@dataclass(frozen=True)
class SignInTry:
    email: str
    address: str
    succeeded: bool
    at: datetime


@dataclass(frozen=True)
class StaffSessionRecord:
    staff_id: int
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass
class MemoryState:
    parcels: dict[str, Parcel] = field(default_factory=dict)
    claims: dict[str, ClaimView] = field(default_factory=dict)  # by reference, in the order they were made
    shipment_of: dict[str, int] = field(default_factory=dict)  # claim reference -> shipment id
    steps: dict[str, list[TransitionView]] = field(default_factory=dict)
    staff_names: dict[int, str] = field(default_factory=dict)  # by staff id: who may hold, note and act
    handoffs: dict[int, HandoffView] = field(default_factory=dict)  # by id, in the order they were asked for
    handoff_notes: dict[int, list[NoteView]] = field(default_factory=dict)
    agent_actions: list[tuple[int | None, ActionView]] = field(default_factory=list)  # (handoff id, action)
    staff: dict[int, StaffAccount] = field(default_factory=dict)  # by id
    staff_sessions: dict[str, StaffSessionRecord] = field(default_factory=dict)  # by token hash
    sign_in_tries: list[SignInTry] = field(default_factory=list)
    template_versions: dict[int, Version] = field(default_factory=dict)  # by id, in the order they were made
    notifications: dict[int, OutboxMessage] = field(default_factory=dict)  # by id, in the order they were enqueued
    inboxes: dict[str, tuple[int, str]] = field(default_factory=dict)  # inbox key -> (customer id, locale)
    customer_of: dict[int, int] = field(default_factory=dict)  # shipment id -> customer id
    early_statuses: dict[int, tuple[EarlyStatus, datetime]] = field(default_factory=dict)  # by id, with arrival
    consents: list[ConsentRecord] = field(default_factory=list)
    registered: dict[str, tuple[int, NewShipment]] = field(default_factory=dict)  # number -> (shipment id, as sent)
    events: dict[str, tuple[int, IncomingEvent, datetime]] = field(default_factory=dict)  # by event id, received at
    contacts: dict[int, Contact] = field(default_factory=dict)  # by customer id (their shipments: customer_of)
    progress_at: dict[int, datetime] = field(default_factory=dict)  # shipment id -> when its events last changed
    reviews: dict[int, ReviewedPromise] = field(default_factory=dict)  # shipment id -> its unkept promise's review
    conversation_days: dict[tuple[str, date], ConversationDayRow] = field(default_factory=dict)
    erased_shipments: set[int] = field(default_factory=set)  # shipment ids whose shopper's data was erased
    erased_claims: set[str] = field(default_factory=set)  # claim references kept without the person
    privacy_requests: list[PrivacyRequestRow] = field(default_factory=list)


class MemoryParcels:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def get(self, tracking_number: str) -> Parcel | None:
        return self._state.parcels.get(tracking_number)

    def find(self, tracking_numbers: Collection[str]) -> dict[str, Parcel]:
        return {n: self._state.parcels[n] for n in tracking_numbers if n in self._state.parcels}


class MemoryShipments:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def known(self, tracking_numbers: Collection[str]) -> set[str]:
        return {n for n in tracking_numbers if n in self._state.parcels or n in self._state.registered}

    def add(self, new: NewShipment, market_code: str, promised_date: date, deadline_at: datetime) -> None:
        taken = [parcel.id for parcel in self._state.parcels.values()]
        taken += [shipment_id for shipment_id, _ in self._state.registered.values()]
        self._state.registered[new.tracking_number] = (max(taken, default=0) + 1, new)

    def ids_of(self, tracking_numbers: Iterable[str]) -> dict[str, int]:
        ids = {number: shipment_id for number, (shipment_id, _) in self._state.registered.items()}
        ids |= {number: parcel.id for number, parcel in self._state.parcels.items()}
        return {number: ids[number] for number in tracking_numbers if number in ids}

    def stored_event_ids(self, event_ids: Iterable[str]) -> set[str]:
        return {event_id for event_id in event_ids if event_id in self._state.events}

    def choose_language(self, phone: str, language: str) -> int:
        chosen = {i: c for i, c in self._state.contacts.items() if c.phone == phone and c.locale != language}
        for customer_id, contact in chosen.items():
            self._state.contacts[customer_id] = replace(contact, locale=language)
        for key, (customer_id, _) in list(self._state.inboxes.items()):
            if customer_id in chosen:
                self._state.inboxes[key] = (customer_id, language)
        return len(chosen)

    def add_events(self, events: Sequence[tuple[int, IncomingEvent]], received_at: datetime) -> None:
        for shipment_id, event in events:
            self._state.events[event.event_id] = (shipment_id, event, received_at)


class MemoryClaims:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def for_orders(self, order_keys: Collection[str]) -> dict[str, ClaimView]:
        return {claim.order_key: claim for claim in self._state.claims.values() if claim.order_key in order_keys}

    def get(self, reference: str, for_update: bool = False) -> ClaimView | None:
        return self._state.claims.get(reference)

    def page(self, status: ClaimStatus | None, limit: int, offset: int) -> tuple[list[ClaimView], int]:
        chosen = [c for c in self._state.claims.values() if status is None or c.status is status]
        newest_first = sorted(chosen, key=lambda c: c.requested_at, reverse=True)
        return newest_first[offset : offset + limit], len(chosen)

    def add(self, claim: ClaimView, shipment_id: int) -> None:
        taken = {c.order_key for c in self._state.claims.values()}
        if claim.reference in self._state.claims or claim.order_key in taken:
            raise DuplicateClaim(claim.order_key)
        self._state.claims[claim.reference] = claim
        self._state.shipment_of[claim.reference] = shipment_id
        self._state.steps[claim.reference] = []

    def update(self, claim: ClaimView) -> None:
        if claim.reference not in self._state.claims:
            raise LookupError(claim.reference)
        self._state.claims[claim.reference] = claim

    def record(self, reference: str, step: TransitionView) -> None:
        if reference not in self._state.claims:
            raise LookupError(reference)
        self._state.steps[reference].append(step)

    def history(self, reference: str) -> tuple[TransitionView, ...]:
        return tuple(self._state.steps.get(reference, ()))


class MemoryHandoffs:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _name(self, staff_id: int) -> str:
        if staff_id not in self._state.staff_names:
            raise LookupError(f"no staff member {staff_id}")
        return self._state.staff_names[staff_id]

    def _named(self, view: HandoffView) -> HandoffView:
        """With its agent's name as it stands, as the SQL repository reads it."""
        return dataclasses.replace(view, agent_name=None if view.agent_id is None else self._name(view.agent_id))

    def get(self, handoff_id: int) -> HandoffView | None:
        view = self._state.handoffs.get(handoff_id)
        return None if view is None else self._named(view)

    def by_reference(self, reference: str) -> HandoffView | None:
        found = [v for v in self._state.handoffs.values() if v.reference == reference]
        return self._named(found[0]) if found else None

    def open_for(self, conversation: str) -> HandoffView | None:
        found = [v for v in self._state.handoffs.values() if v.open and v.conversation == conversation]
        return self._named(found[0]) if found else None

    def open_ones(self) -> list[HandoffView]:
        chosen = [v for v in self._state.handoffs.values() if v.open]
        chosen.sort(key=lambda v: (v.status is not HandoffStatus.WAITING, v.requested_at, v.id))
        return [self._named(v) for v in chosen]

    def add(
        self,
        conversation: str,
        channel: str,
        language: str,
        reason: Reason,
        tracking_numbers: Sequence[str],
        requested_at: datetime,
        reference: str,
        answer_due_on: date,
    ) -> HandoffView:
        if any(v.open and v.conversation == conversation for v in self._state.handoffs.values()):
            raise DuplicateHandoff(conversation)
        handoff_id = max(self._state.handoffs, default=0) + 1
        if any(v.reference == reference for v in self._state.handoffs.values()):
            raise DuplicateHandoff(conversation)
        view = HandoffView(
            id=handoff_id,
            conversation=conversation,
            channel=channel,
            language=language,
            reason=reason,
            status=HandoffStatus.WAITING,
            agent_id=None,
            agent_name=None,
            tracking_numbers=list(tracking_numbers),
            requested_at=requested_at,
            assigned_at=None,
            resolved_at=None,
            reference=reference,
            answer_due_on=answer_due_on,
            first_reply_at=None,
        )
        self._state.handoffs[handoff_id] = view
        self._state.handoff_notes[handoff_id] = []
        return view

    def _move(self, handoff_id: int, only_if: HandoffStatus, **changes: Any) -> bool:
        """Like the SQL update: the handoff changes only if it is still ``only_if``."""
        current = self._state.handoffs.get(handoff_id)
        if current is None or current.status is not only_if:
            return False
        self._state.handoffs[handoff_id] = dataclasses.replace(current, **changes)
        return True

    def assign(self, handoff_id: int, agent_id: int, at: datetime) -> bool:
        self._name(agent_id)
        assigned = HandoffStatus.ASSIGNED
        return self._move(handoff_id, HandoffStatus.WAITING, status=assigned, agent_id=agent_id, assigned_at=at)

    def replied(self, handoff_id: int, at: datetime) -> bool:
        current = self._state.handoffs.get(handoff_id)
        if current is None or current.first_reply_at is not None:
            return False
        self._state.handoffs[handoff_id] = dataclasses.replace(current, first_reply_at=at)
        return True

    def close(self, handoff_id: int, at: datetime) -> bool:
        return self._move(handoff_id, HandoffStatus.ASSIGNED, status=HandoffStatus.RESOLVED, resolved_at=at)

    def add_note(self, handoff_id: int, author_id: int, text: str, at: datetime) -> None:
        if handoff_id not in self._state.handoffs:
            raise LookupError(handoff_id)
        self._state.handoff_notes[handoff_id].append(NoteView(self._name(author_id), text, at))

    def notes(self, handoff_id: int) -> list[NoteView]:
        return sorted(self._state.handoff_notes.get(handoff_id, []), key=lambda note: note.at)

    def log(self, staff_id: int, action: str, at: datetime, handoff_id: int | None, detail: str | None) -> None:
        if handoff_id is not None and handoff_id not in self._state.handoffs:
            raise LookupError(handoff_id)
        self._state.agent_actions.append((handoff_id, ActionView(self._name(staff_id), action, detail, at)))

    def actions(self, handoff_id: int) -> list[ActionView]:
        done = [action for on, action in self._state.agent_actions if on == handoff_id]
        return sorted(done, key=lambda action: action.at)


class MemoryStaff:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def by_email(self, email: str) -> StaffAccount | None:
        return next((a for a in self._state.staff.values() if a.member.email == email), None)

    def get(self, staff_id: int) -> StaffAccount | None:
        return self._state.staff.get(staff_id)

    def add(self, email: str, name: str, role: Role, password_hash: str, created_at: datetime) -> StaffMember:
        if self.by_email(email) is not None:
            raise DuplicateStaff(email)
        member = StaffMember(id=len(self._state.staff) + 1, email=email, name=name, role=role, active=True)
        self._state.staff[member.id] = StaffAccount(member, password_hash)
        return member

    def save(self, account: StaffAccount) -> None:
        if account.member.id not in self._state.staff:
            raise LookupError(account.member.id)
        self._state.staff[account.member.id] = account


class MemoryStaffSessions:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def open(self, token_hash: str, staff_id: int, created_at: datetime, expires_at: datetime) -> None:
        self._state.staff_sessions[token_hash] = StaffSessionRecord(staff_id, expires_at)

    def staff_of(self, token_hash: str, now: datetime) -> StaffMember | None:
        record = self._state.staff_sessions.get(token_hash)
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            return None
        account = self._state.staff.get(record.staff_id)
        return None if account is None or not account.member.active else account.member

    def revoke(self, token_hash: str, now: datetime) -> None:
        record = self._state.staff_sessions.get(token_hash)
        if record is not None and record.revoked_at is None:
            self._state.staff_sessions[token_hash] = dataclasses.replace(record, revoked_at=now)


class MemorySignInAttempts:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _failures(self, tries: list[SignInTry], since: datetime, limit: int) -> list[datetime]:
        return sorted((t.at for t in tries if not t.succeeded and t.at > since), reverse=True)[:limit]

    def last_success(self, email: str) -> datetime | None:
        return max((t.at for t in self._state.sign_in_tries if t.email == email and t.succeeded), default=None)

    def account_failures(self, email: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures([t for t in self._state.sign_in_tries if t.email == email], since, limit)

    def address_failures(self, address: str, since: datetime, limit: int) -> list[datetime]:
        return self._failures([t for t in self._state.sign_in_tries if t.address == address], since, limit)

    def add(self, email: str, address: str, succeeded: bool, at: datetime) -> None:
        self._state.sign_in_tries.append(SignInTry(email, address, succeeded, at))

    def forget_before(self, at: datetime) -> None:
        self._state.sign_in_tries = [t for t in self._state.sign_in_tries if t.at >= at]


class MemoryTemplateVersions:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def get(self, version_id: int) -> Version | None:
        return self._state.template_versions.get(version_id)

    def in_use(self, message: str, channel: str, locale: str) -> Version | None:
        published = [v for v in self.history(message, channel, locale) if v.status is VersionStatus.PUBLISHED]
        return max(published, key=lambda v: (v.published_at, v.id), default=None)

    def history(self, message: str, channel: str, locale: str) -> list[Version]:
        key = (message, channel, locale)
        mine = [v for v in self._state.template_versions.values() if (v.message, v.channel, v.locale) == key]
        return sorted(mine, key=lambda v: v.number, reverse=True)

    def add_draft(
        self, message: str, channel: str, locale: str, source: str, author: str, comment: str | None, at: datetime
    ) -> Version:
        last = max((v.number for v in self.history(message, channel, locale)), default=0)
        version = Version(
            id=len(self._state.template_versions) + 1,
            message=message,
            channel=channel,
            locale=locale,
            number=last + 1,
            source=source,
            status=VersionStatus.DRAFT,
            author=author,
            comment=comment,
            created_at=at,
            published_at=None,
        )
        self._state.template_versions[version.id] = version
        return version

    def save(self, version: Version) -> None:
        if version.id not in self._state.template_versions:
            raise LookupError(version.id)
        self._state.template_versions[version.id] = version


class MemoryOutbox:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _change(self, notification_id: int, **changes: Any) -> OutboxMessage:
        changed = dataclasses.replace(self._state.notifications[notification_id], **changes)
        self._state.notifications[notification_id] = changed
        return changed

    def enqueue(self, rows: Sequence[Mapping[str, Any]]) -> None:
        taken = {n.dedupe_key for n in self._state.notifications.values()}
        for row in rows:
            if row["dedupe_key"] in taken:
                continue
            taken.add(row["dedupe_key"])
            notification_id = max(self._state.notifications, default=0) + 1
            values = {**row, "status": Status(row["status"]), "provider_sid": row.get("provider_sid")}
            self._state.notifications[notification_id] = OutboxMessage(id=notification_id, **values)

    def get(self, notification_id: int) -> OutboxMessage | None:
        return self._state.notifications.get(notification_id)

    def lease_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [n for n in self._state.notifications.values() if n.status is Status.PENDING and n.not_before <= now]
        due = sorted(due, key=lambda n: (n.not_before, n.id))[:limit]
        silenced = MemoryConsents(self._state).opted_out([n.recipient for n in due if n.recipient])
        leased = []
        for n in due:
            if n.channel != Channel.WEB and n.recipient in silenced:
                self._change(n.id, status=Status.SKIPPED, reason=OPTED_OUT)
            else:
                leased.append(self._change(n.id, status=Status.SENDING, updated_at=now))
        return leased

    def count_attempt(self, notification_id: int, now: datetime) -> int | None:
        current = self._state.notifications.get(notification_id)
        if current is None or current.status is not Status.SENDING:
            return None
        return self._change(notification_id, attempts=current.attempts + 1, updated_at=now).attempts

    def finish(self, notification_id: int, status: Status, now: datetime, **fields: object) -> str | None:
        if notification_id not in self._state.notifications:
            return None
        return self._change(notification_id, status=status, updated_at=now, **fields).provider_sid

    def stale(self, before: datetime) -> list[OutboxMessage]:
        return [n for n in self._state.notifications.values() if n.status is Status.SENDING and n.updated_at < before]

    def touch(self, notification_ids: Collection[int], moment: datetime) -> None:
        for notification_id in notification_ids:
            self._change(notification_id, updated_at=moment)

    def counts(self) -> dict[Status, int]:
        found: dict[Status, int] = {}
        for n in self._state.notifications.values():
            found[n.status] = found.get(n.status, 0) + 1
        return found

    def recent(self, status: Status | None, limit: int) -> list[tuple[OutboxMessage, str]]:
        numbers = {parcel.id: number for number, parcel in self._state.parcels.items()}
        chosen = [n for n in self._state.notifications.values() if status is None or n.status is status]
        chosen.sort(key=lambda n: (n.updated_at, n.id), reverse=True)
        return [(n, numbers[n.shipment_id]) for n in chosen[:limit]]

    def web_inbox(self, inbox_key: str, statuses: Collection[Status]) -> tuple[str, list[OutboxMessage]] | None:
        if inbox_key not in self._state.inboxes:
            return None
        customer_id, locale = self._state.inboxes[inbox_key]
        mine = [
            n
            for n in self._state.notifications.values()
            if self._state.customer_of.get(n.shipment_id) == customer_id
            and n.channel == Channel.WEB
            and n.status in statuses
        ]
        return locale, sorted(mine, key=lambda n: (n.updated_at, n.id))

    def move(self, notification_ids: Collection[int], from_statuses: Collection[Status], to: Status) -> None:
        for notification_id in notification_ids:
            if self._state.notifications[notification_id].status in from_statuses:
                self._change(notification_id, status=to)

    def lock(self) -> None:
        """One transaction at a time already."""

    def has_provider_id(self, provider_sid: str) -> bool:
        return any(n.provider_sid == provider_sid for n in self._state.notifications.values())

    def advance(self, provider_sid: str, to: Status, earlier: Collection[Status], reason: str | None) -> bool:
        moved = False
        for n in list(self._state.notifications.values()):
            if n.provider_sid == provider_sid and n.status in earlier:
                self._change(n.id, status=to, **({"reason": reason} if reason is not None else {}))
                moved = True
        return moved


class MemoryEarlyStatuses:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def keep(self, provider_sid: str, status: str, error_code: str | None, at: datetime) -> None:
        status_id = max(self._state.early_statuses, default=0) + 1
        self._state.early_statuses[status_id] = (EarlyStatus(status_id, provider_sid, status, error_code), at)

    def of(self, provider_sid: str) -> list[EarlyStatus]:
        return [kept for kept, _ in self._state.early_statuses.values() if kept.provider_sid == provider_sid]

    def kept_for(self, provider_sids: Collection[str]) -> set[str]:
        return {kept.provider_sid for kept, _ in self._state.early_statuses.values()} & set(provider_sids)

    def drop(self, ids: Collection[int]) -> None:
        for status_id in ids:
            self._state.early_statuses.pop(status_id, None)

    def prune(self, before: datetime) -> int:
        old = [status_id for status_id, (_, at) in self._state.early_statuses.items() if at < before]
        self.drop(old)
        return len(old)


class MemoryConsents:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def add(self, consent: ConsentRecord) -> None:
        self._state.consents.append(consent)

    def opted_out(self, phones: Collection[str]) -> set[str]:
        newest: dict[str, str] = {}
        for consent in sorted(self._state.consents, key=lambda c: c.at):  # stable: the order they came, at a tie
            if consent.phone in phones:
                newest[consent.phone] = consent.action
        return {phone for phone, action in newest.items() if action == "opt_out"}


@dataclass(frozen=True)
class _Progress:
    """What the SQL shipment row keeps denormalised from its events."""

    parcel: Parcel
    stage: Stage | None
    last_event_at: datetime | None
    first_attempt_at: datetime | None
    delivered_at: datetime | None
    returned: bool

    @property
    def attempted_late(self) -> bool:
        return self.first_attempt_at is not None and self.first_attempt_at >= self.parcel.facts.deadline_at


def _progress(parcel: Parcel) -> _Progress:
    events = ordered(parcel.events)
    attempts = [e.occurred_at for e in events if e.kind in (EventKind.ATTEMPT_FAILED, EventKind.DELIVERED)]
    delivered = [e.occurred_at for e in events if e.kind is EventKind.DELIVERED]
    return _Progress(
        parcel,
        events[-1].stage if events else None,
        events[-1].occurred_at if events else None,
        attempts[0] if attempts else None,
        delivered[0] if delivered else None,
        any(e.kind is EventKind.RETURNED for e in events),
    )


class MemoryDetection:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _shipments(self) -> list[_Progress]:
        return sorted((_progress(p) for p in self._state.parcels.values()), key=lambda row: row.parcel.id)

    def _notified(self, kind: Kind) -> set[int]:
        return {n.shipment_id for n in self._state.notifications.values() if n.kind == kind}

    def due(
        self, now: datetime, deadlines_after: datetime, learnt_after: datetime, by_progress: bool
    ) -> list[tuple[int, Kind]]:
        rows = self._shipments()
        told_broken, told_late = self._notified(Kind.PROMISE_BROKEN), self._notified(Kind.DELIVERED_LATE)

        def learnt(row: _Progress) -> bool:
            at = self._state.progress_at.get(row.parcel.id) if by_progress else row.delivered_at
            return at is not None and at > learnt_after

        broken = [
            (row.parcel.id, Kind.PROMISE_BROKEN)
            for row in rows
            if row.delivered_at is None
            and deadlines_after < row.parcel.facts.deadline_at <= now
            and (row.first_attempt_at is None or row.attempted_late)
            and row.parcel.id not in told_broken
        ]
        late = [
            (row.parcel.id, Kind.DELIVERED_LATE)
            for row in rows
            if row.attempted_late and row.delivered_at is not None and learnt(row) and row.parcel.id not in told_late
        ]
        return broken + late

    def forecast(self, now: datetime, until: datetime, policy: Policy) -> list[Forecast]:
        found, told = [], self._notified(Kind.PROMISE_AT_RISK)
        for row in self._shipments():
            facts, stage = row.parcel.facts, row.stage or Stage.COLLECTION
            within = facts.deadline_at <= now + arrival_horizon(policy.products[facts.product_code], stage)
            ahead = (row.last_event_at or facts.paid_at) > now
            if (
                row.delivered_at is None
                and row.first_attempt_at is None
                and now < facts.deadline_at <= until
                and (within or row.returned or ahead)
                and row.parcel.id not in told
            ):
                stage_number = None if row.stage is None else int(row.stage)
                found.append(
                    Forecast(
                        row.parcel.id,
                        facts.product_code,
                        stage_number,
                        row.last_event_at,
                        facts.paid_at,
                        facts.deadline_at,
                        row.returned,
                    )
                )
        return found

    def _granted(self) -> list[tuple[int, ClaimView]]:
        return [
            (self._state.shipment_of[claim.reference], claim)
            for claim in self._state.claims.values()
            if claim.status in GRANTED
        ]

    def granted(self, start: datetime) -> list[int]:
        told = self._notified(Kind.COMPENSATION_GRANTED)
        return sorted(
            shipment_id
            for shipment_id, claim in self._granted()
            if claim.updated_at > start and claim.grant == Grant.ON_APPLICATION and shipment_id not in told
        )

    def shipments(self, shipment_ids: Collection[int]) -> dict[int, DetectedShipment]:
        found = {}
        for row in self._shipments():
            parcel = row.parcel
            if parcel.id in shipment_ids:
                customer_id = self._state.customer_of.get(parcel.id)
                contact = None if customer_id is None else self._state.contacts[customer_id]
                events = ordered(parcel.events)
                found[parcel.id] = DetectedShipment(parcel.id, parcel.facts, events, row.delivered_at, contact)
        return found

    def granted_claims(self, shipment_ids: Collection[int]) -> dict[int, GrantedClaim]:
        return {
            shipment_id: GrantedClaim(
                shipment_id, claim.tracking_number, claim.amount, claim.currency, claim.form, claim.reference
            )
            for shipment_id, claim in self._granted()
            if shipment_id in shipment_ids
        }

    def customer_of(self, tracking_number: str) -> int | None:
        parcel = self._state.parcels.get(tracking_number)
        return None if parcel is None else self._state.customer_of.get(parcel.id)

    def give_inbox_keys(self, keys: Mapping[int, str]) -> None:
        for customer_id, key in keys.items():
            contact = self._state.contacts[customer_id]
            if contact.inbox_key is None:
                self._state.contacts[customer_id] = dataclasses.replace(contact, inbox_key=key)
                self._state.inboxes[key] = (customer_id, contact.locale)

    def inbox_keys(self, customer_ids: Collection[int]) -> dict[int, str]:
        return {
            customer_id: contact.inbox_key
            for customer_id, contact in self._state.contacts.items()
            if customer_id in customer_ids and contact.inbox_key is not None
        }


class MemoryConversationDays:
    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def touch(self, key: str, day: date, channel: str, language: str | None, at: datetime) -> None:
        was = self._state.conversation_days.get((key, day))
        self._state.conversation_days[(key, day)] = (
            ConversationDayRow(key, day, channel, language, at, at, 1)
            if was is None
            else ConversationDayRow(
                key,
                day,
                channel,
                language or was.language,
                min(was.first_at, at),
                max(was.last_at, at),
                was.messages + 1,
            )
        )

    def days(self, first: date, last: date) -> list[ConversationDayRow]:
        return [row for (_, day), row in self._state.conversation_days.items() if first <= day <= last]

    def handed_over(self, start: datetime, end: datetime) -> list[str]:
        return list(
            dict.fromkeys(h.conversation for h in self._state.handoffs.values() if start <= h.requested_at < end)
        )

    def notified_days(self, start: datetime, end: datetime, first: date, last: date) -> list[NotifiedDay]:
        return [
            NotifiedDay(n.id, n.kind, n.channel, n.locale, n.not_before, day.first_at, day.last_at)
            for n in self._state.notifications.values()
            if start <= n.created_at < end
            and n.status in (Status.SENT, Status.DELIVERED, Status.READ)
            and (key := notified_conversation(n.channel, n.recipient)) is not None
            for day in self.days(first, last)
            if day.conversation_key == key
        ]


class MemoryMetrics:
    """The dashboard's repository over the fakes' state: the same rows the SQL one gives."""

    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _in(self, first: date, last: date, product: str | None) -> list[_Progress]:
        return [
            row
            for row in (_progress(p) for p in self._state.parcels.values())
            if first <= row.parcel.facts.promised_date <= last and product in (None, row.parcel.facts.product_code)
        ]

    @staticmethod
    def _unkept(row: _Progress, now: datetime) -> bool:
        return row.attempted_late or (row.first_attempt_at is None and row.parcel.facts.deadline_at <= now)

    def promise_counts(self, first: date, last: date, now: datetime, product: str | None) -> list[PromiseCount]:
        tallies: dict[tuple[date, str, str], list[int]] = {}
        for row in self._in(first, last, product):
            facts = row.parcel.facts
            tally = tallies.setdefault(
                (facts.promised_date, facts.product_code, facts.destination_postal_code[:2]), [0] * 3
            )
            kept = row.first_attempt_at is not None and not row.attempted_late
            tally[0 if kept else 2 if self._unkept(row, now) else 1] += 1
        return [PromiseCount(*key, *tally) for key, tally in tallies.items()]

    def promise_totals(self, first: date, last: date, now: datetime, product: str | None) -> PromiseTotals:
        counts = self.promise_counts(first, last, now, product)
        return PromiseTotals(sum(c.kept for c in counts), sum(c.open for c in counts), sum(c.unkept for c in counts))

    def to_review(
        self, first: date, last: date, now: datetime, policy_version: str, limit: int
    ) -> list[tuple[int, datetime | None]]:
        stale = []
        for row in self._in(first, last, None):
            if not self._unkept(row, now):
                continue
            progress, kept = self._state.progress_at.get(row.parcel.id), self._state.reviews.get(row.parcel.id)
            if kept is None or kept.review.policy_version != policy_version or kept.review.progress_at != progress:
                stale.append((row.parcel.id, progress))
        return sorted(stale)[:limit]

    def save_reviews(self, reviews: Sequence[ReviewedPromise]) -> None:
        self._state.reviews.update({r.review.shipment_id: r for r in reviews})

    def _reviewed(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[ReviewedPromise]:
        """The reviews the SQL repository reads: current, of a promise unkept at ``now`` (a review is dropped
        there when its events change; here it no longer matches their ``progress_at``)."""
        reviewed = []
        for row in self._in(first, last, product):
            kept = self._state.reviews.get(row.parcel.id)
            if (
                kept is not None
                and kept.review.policy_version == policy_version
                and kept.review.progress_at == self._state.progress_at.get(row.parcel.id)
                and (kept.fixed.attempted or kept.deadline_at <= now)
            ):
                reviewed.append(kept)
        return reviewed

    def unkept_groups(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[UnkeptGroup]:
        groups: dict[tuple[date, str, str, str, bool, bool], list[Any]] = {}
        for r in self._reviewed(first, last, now, product, policy_version):
            key = (
                r.promised_date,
                r.product_code,
                r.market_code,
                r.province,
                bool(r.review.excluded_by),
                r.fixed.attempted,
            )
            tally = groups.setdefault(key, [0, Decimal(0)])
            tally[0] += 1
            tally[1] += r.fixed.owed or 0
        return [UnkeptGroup(*key, n, owed) for key, (n, owed) in groups.items()]

    def stage_figures(
        self,
        first: date,
        last: date,
        now: datetime,
        product: str | None,
        policy_version: str,
        typical_days: Mapping[tuple[str, int], float],
    ) -> StageFigures:
        closed: dict[tuple[date, str, int], list[Any]] = {}
        still: dict[tuple[date, str, int], list[int]] = {}
        at = int(now.timestamp())
        reviewed = self._reviewed(first, last, now, product, policy_version)
        for r in reviewed:
            if r.review.excluded_by:
                continue
            for left, over in r.fixed.days_over.items():
                tally = closed.setdefault((r.promised_date, r.product_code, left), [0, 0.0])
                tally[0] += 1
                tally[1] += over
            at_stage, since = r.fixed.open_stage, r.fixed.open_from
            if (
                at_stage is not None
                and since is not None
                and since < at - int(typical_days[(r.product_code, at_stage)] * 86400)
            ):
                counted = still.setdefault((r.promised_date, r.product_code, at_stage), [0, 0])
                counted[0] += 1
                counted[1] += since
        return StageFigures(
            len(reviewed),
            [StageOverrun(*key, n, days) for key, (n, days) in closed.items()],
            [OpenOverrun(*key, n, total) for key, (n, total) in still.items()],
        )

    def claimed(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str
    ) -> list[ClaimedPromise]:
        claims = {self._state.shipment_of[c.reference]: c for c in self._state.claims.values()}
        return [
            ClaimedPromise(
                r.promised_date,
                r.product_code,
                r.market_code,
                r.province,
                bool(r.review.excluded_by),
                r.fixed.owed,
                str(claim.status),
                claim.amount,
            )
            for r in self._reviewed(first, last, now, product, policy_version)
            if (claim := claims.get(r.review.shipment_id)) is not None
        ]

    def stage_parcels(
        self, first: date, last: date, now: datetime, product: str | None, policy_version: str, stage: int
    ) -> list[StageParcel]:
        numbers = {p.id: p.facts.tracking_number for p in self._state.parcels.values()}
        return [
            StageParcel(
                numbers[r.review.shipment_id],
                r.product_code,
                r.market_code,
                r.province,
                r.promised_date,
                r.fixed.days_late,
                r.fixed.owed,
                r.fixed.days_over.get(stage),
                r.fixed.open_from if r.fixed.open_stage == stage else None,
            )
            for r in self._reviewed(first, last, now, product, policy_version)
            if not r.review.excluded_by and (stage in r.fixed.days_over or r.fixed.open_stage == stage)
        ]

    def claim_timings(self, start: datetime, end: datetime, product: str | None) -> list[ClaimTiming]:
        by_id = {p.id: p.facts for p in self._state.parcels.values()}
        timings = []
        for claim in self._state.claims.values():
            facts = by_id[self._state.shipment_of[claim.reference]]
            if not start <= claim.requested_at < end or product not in (None, facts.product_code):
                continue
            decided = [s.at for s in self._state.steps.get(claim.reference, []) if s.to_status in _DECISIONS]
            timings.append(
                ClaimTiming(
                    claim.reference, facts.product_code, facts.market_code, facts.destination_postal_code,
                    str(claim.status), claim.requested_at, min(decided, default=None),
                )
            )  # fmt: skip
        return timings

    def _notifications(self, start: datetime, end: datetime) -> list[OutboxMessage]:
        return [n for n in self._state.notifications.values() if start <= n.created_at < end]

    def notification_counts(self, start: datetime, end: datetime) -> list[NotificationCount]:
        counted = Counter((n.kind, n.channel, n.locale, str(n.status)) for n in self._notifications(start, end))
        return [NotificationCount(*key, n) for key, n in counted.items()]

    def failure_reasons(self, start: datetime, end: datetime, limit: int) -> list[tuple[str, int]]:
        failed = Counter(n.reason or "" for n in self._notifications(start, end) if n.status is Status.FAILED)
        return sorted(failed.items(), key=lambda item: (-item[1], item[0]))[:limit]

    def opt_outs(self, start: datetime, end: datetime) -> dict[str, int]:
        return dict(Counter(c.channel for c in self._state.consents if c.action == "opt_out" and start <= c.at < end))

    @staticmethod
    def _timing(view: HandoffView) -> HandoffTiming:
        return HandoffTiming(
            view.id, view.reference, view.channel, view.language, str(view.reason), str(view.status),
            view.requested_at, view.first_reply_at, view.answer_due_on,
        )  # fmt: skip

    def _handoffs(self, start: datetime, end: datetime) -> list[HandoffView]:
        return [v for v in self._state.handoffs.values() if start <= v.requested_at < end]

    def handoff_clocks(self, start: datetime, end: datetime) -> list[HandoffClock]:
        return [
            HandoffClock(v.channel, v.requested_at.timestamp(), _posix_seconds(v.first_reply_at))
            for v in self._handoffs(start, end)
        ]

    def handoff_reasons(self, start: datetime, end: datetime) -> list[tuple[str, str, str, int]]:
        counted = Counter((v.channel, v.language, str(v.reason)) for v in self._handoffs(start, end))
        return [(*key, n) for key, n in counted.items()]

    def requests_due(self, by: date, limit: int) -> list[HandoffTiming]:
        chosen = [v for v in self._state.handoffs.values() if v.open and v.answer_due_on <= by]
        return [self._timing(v) for v in sorted(chosen, key=lambda v: (v.answer_due_on, v.id))][:limit]


class MemoryPrivacy:
    """The shoppers of the registered shipments (``MemoryShipments.add``), known by their phones and emails."""

    def __init__(self, state: MemoryState) -> None:
        self._state = state

    def _live(self) -> dict[str, tuple[int, NewShipment]]:
        erased = self._state.erased_shipments
        return {n: (i, new) for n, (i, new) in self._state.registered.items() if i not in erased}

    def subject(self, key: SubjectKey) -> Subject:
        live = self._live()
        phones: set[str] = set()
        emails: set[str] = set()
        conversations: set[str] = set()
        mine: set[str] = set()  # tracking numbers
        if key.kind is KeyKind.PHONE:
            phones.add(key.value)
        elif key.kind is KeyKind.EMAIL:
            emails.add(key.value)
        elif key.kind is KeyKind.TRACKING_NUMBER:
            mine |= {key.value} & live.keys()
        elif key.kind is KeyKind.ORDER:
            mine |= {n for n, (_, new) in live.items() if new.order_ref == key.value}
        else:
            conversations.add(key.value)
            phone = key.value.removeprefix("whatsapp:")
            if phone.startswith("+") and phone[1:].isdigit():
                phones.add(phone)
        for number in mine:
            new = live[number][1]
            phones |= {new.customer_phone} if new.customer_phone else set()
            emails |= {new.customer_email.lower()} if new.customer_email else set()
        for number, (_, new) in live.items():
            if new.customer_phone in phones or (new.customer_email or "").lower() in emails:
                mine.add(number)
        for phone_ in phones:
            conversations |= sender_ids_of_phone(phone_)
        subject = Subject(
            frozenset(), frozenset(phones), frozenset(emails), frozenset(live[n][0] for n in mine), frozenset(mine),
            frozenset(live[n][1].order_ref or "" for n in mine) - {""}, frozenset(conversations),
        )  # fmt: skip
        return self.widened(subject, ())

    def widened(self, subject: Subject, conversations: Collection[str]) -> Subject:
        about = {
            h.conversation
            for h in self._state.handoffs.values()
            if h.id not in self._erased_handoffs() and set(h.tracking_numbers) & subject.tracking_numbers
        }
        return dataclasses.replace(subject, conversations=subject.conversations | set(conversations) | about)

    def _erased_handoffs(self) -> set[int]:
        return {h.id for h in self._state.handoffs.values() if h.conversation.startswith(ERASED_CONVERSATION)}

    def _handoffs(self, subject: Subject) -> list[HandoffView]:
        erased = self._erased_handoffs()
        return [
            h for h in self._state.handoffs.values() if h.conversation in subject.conversations and h.id not in erased
        ]

    def _claims(self, subject: Subject) -> list[ClaimView]:
        return [
            c
            for c in self._state.claims.values()
            if self._state.shipment_of.get(c.reference) in subject.shipment_ids
            and c.reference not in self._state.erased_claims
        ]

    def _notifications(self, subject: Subject) -> list[OutboxMessage]:
        reached = subject.phones | subject.conversations
        return [
            n
            for n in self._state.notifications.values()
            if n.shipment_id in subject.shipment_ids or n.recipient in reached
        ]

    def records(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        shipments = [new for number, (_, new) in self._live().items() if number in subject.tracking_numbers]
        people = {(n.customer_name, n.customer_phone, n.customer_email) for n in shipments}
        keys = {conversation_key(c) for c in subject.conversations}
        found: dict[str, list[dict[str, Any]]] = {
            "customers": [{"name": a, "phone": b, "email": c} for a, b, c in sorted(people, key=str)],
            "shipments": [
                {"tracking_number": n.tracking_number, "order": n.order_ref, "city": n.city} for n in shipments
            ],
            "claims": [{"reference": c.reference, "status": str(c.status)} for c in self._claims(subject)],
            "notifications": [{"message": n.kind, "to": n.recipient} for n in self._notifications(subject)],
            "consents": [
                {"phone": c.phone, "action": c.action} for c in self._state.consents if c.phone in subject.phones
            ],
            "handoffs": [
                {"reference": h.reference, "notes": [n.text for n in self._state.handoff_notes.get(h.id, [])]}
                for h in self._handoffs(subject)
            ],
            "conversation_days": [
                {"day": d.day.isoformat()} for (key, _), d in self._state.conversation_days.items() if key in keys
            ],
        }
        return {kind: rows for kind, rows in found.items() if rows}

    def erase(self, subject: Subject, at: datetime) -> dict[str, int]:
        state, erased = self._state, Counter[str]()
        for h in self._handoffs(subject):
            erased["handoff_notes"] += self._strip_handoff(h, at)
            erased["handoffs"] += 1
        keys = {conversation_key(c) for c in subject.conversations}
        for day in [k for k in state.conversation_days if k[0] in keys]:
            del state.conversation_days[day]
            erased["conversation_days"] += 1
        for n in self._notifications(subject):
            del state.notifications[n.id]
            erased["notifications"] += 1
        for c in self._claims(subject):
            if str(c.status) in KEPT_CLAIMS:
                state.claims[c.reference] = dataclasses.replace(c, order_key=f"erased:{c.reference}")
                state.erased_claims.add(c.reference)
                erased["claims_kept_without_the_person"] += 1
            else:
                del state.claims[c.reference]
                state.steps.pop(c.reference, None)
                erased["claims"] += 1
        for index, consent in enumerate(state.consents):
            if consent.phone in subject.phones:
                state.consents[index] = dataclasses.replace(consent, phone="", text="")
                erased["consents_kept_without_the_person"] += 1
        for number in subject.tracking_numbers & self._live().keys():
            self._strip_shipment(number)
            erased["shipments_kept_without_the_person"] += 1
        return dict(erased)

    def _strip_handoff(self, h: HandoffView, at: datetime) -> int:
        notes = len(self._state.handoff_notes.pop(h.id, []))
        self._state.handoffs[h.id] = dataclasses.replace(
            h, conversation=f"{ERASED_CONVERSATION}{h.id}", tracking_numbers=[], status=HandoffStatus.RESOLVED,
            resolved_at=h.resolved_at if not h.open else at,
        )  # fmt: skip
        return notes

    def _strip_shipment(self, number: str) -> None:
        state = self._state
        shipment_id, new = state.registered[number]
        state.registered[number] = (
            shipment_id,
            dataclasses.replace(
                new, order_ref=None, city=None, customer_name="", customer_phone=None, customer_email=None,
                postal_code=new.postal_code[:2] + "000",
            ),
        )  # fmt: skip
        state.erased_shipments.add(shipment_id)

    def purge(self, kind: Kept, before: datetime, at: datetime, limit: int) -> int:
        state = self._state
        if kind is Kept.CONVERSATIONS:
            erased = self._erased_handoffs()
            old = [h for h in state.handoffs.values() if h.id not in erased and h.requested_at < before][:limit]
            for h in old:
                self._strip_handoff(h, at)
            return len(old)
        if kind is Kept.CUSTOMERS:
            numbers = [n for n, (_, new) in self._live().items() if new.paid_at < before][:limit]
            for number in numbers:
                self._strip_shipment(number)
            return len(numbers)
        gone: list[Any]
        if kind is Kept.CONVERSATION_DAYS:
            gone = [key for key in state.conversation_days if key[1] < before.date()][:limit]
            for key in gone:
                del state.conversation_days[key]
        elif kind is Kept.NOTIFICATIONS:
            gone = [n for n in state.notifications.values() if n.created_at < before][:limit]
            for n in gone:
                del state.notifications[n.id]
        elif kind is Kept.HANDOFFS:
            gone = [h for h in state.handoffs.values() if h.requested_at < before][:limit]
            for h in gone:
                del state.handoffs[h.id]
                state.handoff_notes.pop(h.id, None)
        elif kind is Kept.CLAIMS:
            gone = [c for c in state.claims.values() if c.updated_at < before][:limit]
            for c in gone:
                del state.claims[c.reference]
                state.steps.pop(c.reference, None)
        else:
            gone = [c for c in state.consents if c.at < before][:limit]
            state.consents = [c for c in state.consents if c not in gone]
        return len(gone)

    def start_purge(self, reference: str, at: datetime) -> bool:
        if any(r.reference == reference for r in self._state.privacy_requests):
            return False
        number = len(self._state.privacy_requests) + 1
        row = PrivacyRequestRow(number, reference, RequestKind.PURGE, None, "", "notifier", "retention times", {}, at)
        self._state.privacy_requests.append(row)
        return True

    def finish_purge(self, reference: str, outcome: dict[str, int]) -> None:
        rows = self._state.privacy_requests
        for index, row in enumerate(rows):
            if row.reference == reference:
                rows[index] = dataclasses.replace(row, outcome=outcome)

    def record_request(
        self, reference: str, kind: RequestKind, key: SubjectKey, actor: str, ground: str, outcome: dict[str, int],
        at: datetime,
    ) -> PrivacyRequestRow:  # fmt: skip
        row = PrivacyRequestRow(
            len(self._state.privacy_requests) + 1, reference, kind, key.kind, key.masked, actor, ground, outcome, at
        )
        self._state.privacy_requests.append(row)
        return row

    def requests(self, limit: int) -> list[PrivacyRequestRow]:
        return sorted(self._state.privacy_requests, key=lambda r: (r.at, r.id), reverse=True)[:limit]


def _posix_seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


class MemoryConversationArchive:
    """Conversations as lists of events (``sender -> [(type_name, timestamp, intent, action, data)]``)."""

    def __init__(self, events: dict[str, list[tuple[str, float, str | None, str | None, str]]] | None = None) -> None:
        self.events = events if events is not None else {}

    def mentioning(self, texts: Collection[str]) -> set[str]:
        wanted = [t for t in texts if t][:NEEDLES]
        return {s for s, rows in self.events.items() if any(t in row[4] for row in rows for t in wanted)}

    def existing(self, conversations: Collection[str]) -> set[str]:
        return {s for s in conversations if self.events.get(s)}

    def transcripts(self, conversations: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        return {s: [transcript_entry(*row) for row in self.events[s]] for s in sorted(self.existing(conversations))}

    def erase(self, conversations: Collection[str]) -> int:
        return sum(len(self.events.pop(s, [])) for s in conversations)

    def expired(self, before: float, limit: int) -> list[str]:
        return sorted(s for s, rows in self.events.items() if rows and max(row[1] for row in rows) < before)[:limit]


class MemoryUnitOfWork:
    """Each transaction works on a copy of the state, which replaces it only when the block ends cleanly."""

    def __init__(self, state: MemoryState | None = None) -> None:
        self.state = state or MemoryState()
        self.commits = 0

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        working = copy.deepcopy(self.state)
        yield Repositories(
            parcels=MemoryParcels(working),
            shipments=MemoryShipments(working),
            claims=MemoryClaims(working),
            handoffs=MemoryHandoffs(working),
            staff=MemoryStaff(working),
            staff_sessions=MemoryStaffSessions(working),
            sign_in_attempts=MemorySignInAttempts(working),
            template_versions=MemoryTemplateVersions(working),
            outbox=MemoryOutbox(working),
            early_statuses=MemoryEarlyStatuses(working),
            consents=MemoryConsents(working),
            detection=MemoryDetection(working),
            metrics=MemoryMetrics(working),
            conversation_days=MemoryConversationDays(working),
            privacy=MemoryPrivacy(working),
        )
        self.state = working
        self.commits += 1

    def begin(self) -> AbstractContextManager[Repositories]:
        return self._transaction()
