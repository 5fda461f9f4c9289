"""SQLAlchemy 2 models: customers, shipments, tracking events, claims and their steps, staff, template versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from parcels.conversation_records import notified_conversation
from parcels.policy import Market

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

BigId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is UTC:  # PostgreSQL's, as the engine's connections read times in UTC
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8), default="es")
    # Where the customer wants to hear from us: whatsapp | sms | web (their web chat inbox); None: WhatsApp.
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    # The unguessable key of their web chat inbox (/?inbox=...), made when first needed.
    inbox_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))


def _province_of(context: Any) -> str:
    return Market.province(context.get_current_parameters()["destination_postal_code"])


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (
        # The notifier's questions, answered from small indexes at any table size: undelivered
        # parcels by deadline (broken, at risk), late first attempts by delivery and by when we learnt of them.
        Index(
            "ix_shipments_undelivered_deadline",
            "deadline_at",
            sqlite_where=text("delivered_at IS NULL"),
            postgresql_where=text("delivered_at IS NULL"),
        ),
        Index(
            "ix_shipments_late_delivered",
            "delivered_at",
            sqlite_where=text("first_attempt_at >= deadline_at"),
            postgresql_where=text("first_attempt_at >= deadline_at"),
        ),
        # The dashboard's promises by promised day, product and province: counted from this index alone, in its
        # order.
        Index("ix_shipments_promised", "promised_date", "product_code", "province", "first_attempt_at", "deadline_at"),
        Index(
            "ix_shipments_late_progress",
            "progress_at",
            sqlite_where=text("first_attempt_at >= deadline_at"),
            postgresql_where=text("first_attempt_at >= deadline_at"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(32), unique=True)
    order_ref: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    product_code: Mapped[str] = mapped_column(String(32))
    market_code: Mapped[str] = mapped_column(String(8))
    origin_country: Mapped[str] = mapped_column(String(2), default="CN")
    destination_postal_code: Mapped[str] = mapped_column(String(16))
    province: Mapped[str] = mapped_column(String(4), default=_province_of)  # of the postal code: its first two digits
    destination_city: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promised_date: Mapped[date] = mapped_column(Date)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Denormalised from the events, kept current on ingestion, so that queries stay cheap.
    current_stage: Mapped[int | None] = mapped_column(SmallInteger)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the columns above last changed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))
    # when its shopper's data was erased: no customer, order or town, the postal code cut to its province
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer | None] = relationship(lazy="raise")
    events: Mapped[list[TrackingEvent]] = relationship(
        back_populates="shipment", order_by="TrackingEvent.occurred_at", lazy="raise"
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("event_id", name="uq_tracking_events_event_id"),
        # Covers a shipment's history as it is read (parcels.storage.queries._EVENT_COLUMNS), in time order:
        # the notifier reads thousands of histories at a time from the index alone.
        Index(
            "ix_tracking_events_shipment_history",
            "shipment_id",
            "occurred_at",
            "stage",
            "event_id",
            "code",
            "kind",
            "location",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128))  # the carrier's own id: ingestion is idempotent on it
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(48))
    stage: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))

    shipment: Mapped[Shipment] = relationship(back_populates="events", lazy="raise")


class Claim(Base):
    """A shopper's compensation claim: one per order, decided under a named policy version."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_claims_reference"),
        UniqueConstraint("order_key", name="uq_claims_order_key"),
        Index("ix_claims_status_requested", "status", "requested_at"),
        Index("ix_claims_status_updated", "status", "updated_at"),  # the notifier's granted claims
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16))
    # The order's reference, or the tracking number when the shop gave none: one compensation per order.
    order_key: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    form: Mapped[str] = mapped_column(String(16))
    grant: Mapped[str] = mapped_column(String(16))
    days_late: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    verified_by: Mapped[str] = mapped_column(String(16))  # postal_code | phone | back_office
    note: Mapped[str | None] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # when its shopper's data was erased: an accounting record (reference, amount, dates) without the person
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimTransition(Base):
    """One step in a claim's history: who moved it from which status to which, when, and their note.

    The first step of a claim has no ``from_status``: it is the claim being made. A note added without a
    change of status is a step from a status to itself.
    """

    __tablename__ = "claim_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))  # shopper | staff | api_key | system
    actor: Mapped[str] = mapped_column(String(254))  # the channel, the staff member's email, the key's name
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))


class StaffUser(Base):
    """Someone who signs in to the staff console: an agent, a marketer or an admin."""

    __tablename__ = "staff_users"
    __table_args__ = (UniqueConstraint("email", name="uq_staff_users_email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))


class TemplateVersion(Base):
    """A marketer's edit of one message x channel x locale: a draft, or published (the newest published one is used)."""

    __tablename__ = "template_versions"
    __table_args__ = (
        UniqueConstraint("message", "channel", "locale", "number", name="uq_template_versions_number"),
        Index("ix_template_versions_key_status", "message", "channel", "locale", "status", "number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per message x channel x locale
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # draft | published
    author: Mapped[str] = mapped_column(String(254))
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Consent(Base):
    """What a customer agreed to or refused, when, on which channel and for which purpose: kept, never edited."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_phone_at", "phone", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # whatsapp | sms | web
    purpose: Mapped[str] = mapped_column(String(16))  # service | marketing
    action: Mapped[str] = mapped_column(String(16))  # opt_in | opt_out
    text: Mapped[str] = mapped_column(String(500))  # what the customer wrote or was shown
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def _conversation_of(context: Any) -> str | None:
    row = context.get_current_parameters()
    return notified_conversation(row["channel"], row.get("recipient"))


class Notification(Base):
    """The outbox: one row per shipment and kind, ever (the dedupe key), written with the decision."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
        Index("ix_notifications_due", "status", "not_before"),
        Index("ix_notifications_shipment_kind", "shipment_id", "kind"),  # detection's "not told yet", index-only
        # the dashboard's periods, counted from the index alone
        Index("ix_notifications_created", "created_at", "kind", "channel", "locale", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(80))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(48))
    locale: Mapped[str] = mapped_column(String(8))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # the SHA-256 of the conversation a reply arrives in (WhatsApp and SMS): whether its shopper wrote back
    conversation_key: Mapped[str | None] = mapped_column(String(64), index=True, default=_conversation_of)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# what the dashboard groups unkept promises by, and the columns it reads of them: its sums come from the index
UNKEPT_GROUPS = (
    "promised_date",
    "product_code",
    "province",
    "market_code",
    "excluded_by",
    "attempted",
    "policy_version",
    "deadline_at",
    "owed",
)

# ... and where the broken ones' time went, in the order it is grouped by
UNKEPT_STAGES = (
    "promised_date",
    "product_code",
    "open_stage",
    "policy_version",
    "attempted",
    "deadline_at",
    "excluded_by",
    "open_from",
    *(f"over_{stage}" for stage in range(1, 8)),
)


class UnkeptPromise(Base):
    """A promise not kept in time, reviewed as of its events' latest change and a policy version: whether a cause
    outside the carrier's hands excludes it, and what of its figures never moves with the clock
    (``parcels.unkept``), beside the shipment's facts it is grouped by, so that the dashboard adds its figures up
    in SQL. Recording a shipment's events deletes its row; a row of another policy is reviewed again."""

    __tablename__ = "unkept_promises"
    __table_args__ = (
        Index("ix_unkept_promises_groups", *UNKEPT_GROUPS),
        Index("ix_unkept_promises_stages", *UNKEPT_STAGES),
    )

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True)
    policy_version: Mapped[str] = mapped_column(String(32))
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the shipment's, when reviewed
    promised_date: Mapped[date] = mapped_column(Date)
    product_code: Mapped[str] = mapped_column(String(32))
    market_code: Mapped[str] = mapped_column(String(8))
    province: Mapped[str] = mapped_column(String(4))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    excluded_by: Mapped[str | None] = mapped_column(String(24))  # the first exclusion's reason code
    attempted: Mapped[bool] = mapped_column(Boolean)
    days_late: Mapped[int | None] = mapped_column(Integer)  # once attempted
    owed: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # once attempted
    # each stage left behind that overran its typical days: by how many days
    over_1: Mapped[float | None] = mapped_column(Float)
    over_2: Mapped[float | None] = mapped_column(Float)
    over_3: Mapped[float | None] = mapped_column(Float)
    over_4: Mapped[float | None] = mapped_column(Float)
    over_5: Mapped[float | None] = mapped_column(Float)
    over_6: Mapped[float | None] = mapped_column(Float)
    over_7: Mapped[float | None] = mapped_column(Float)
    open_stage: Mapped[int | None] = mapped_column(SmallInteger)  # the stage it is still at (no attempt yet)
    open_from: Mapped[int | None] = mapped_column(BigInteger)  # epoch seconds its time at that stage counts from


class ConversationDay(Base):
    """A day a shopper wrote to the assistant: which channel and language, first and last message, how many.

    The conversation is kept as the SHA-256 of its sender id, not the id (a WhatsApp or SMS sender id is a phone
    number): enough to count conversations and to tell whether a notified shopper wrote back."""

    __tablename__ = "conversation_days"
    __table_args__ = (Index("ix_conversation_days_day", "day"),)

    conversation_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the agents' local day
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    messages: Mapped[int] = mapped_column(Integer)


class EarlyStatus(Base):
    """A provider status callback that arrived before its notification recorded the message's id."""

    __tablename__ = "early_statuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Handoff(Base):
    """A conversation handed to customer-service agents: waiting, taken by one agent, then handed back."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_requested", "status", "requested_at"),
        Index("ix_handoffs_requested", "requested_at"),  # the dashboard's periods
        UniqueConstraint("reference", name="uq_handoffs_reference"),
        # At most one open handoff per conversation.
        Index(
            "uq_handoffs_open_conversation",
            "conversation",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation: Mapped[str] = mapped_column(String(128))  # Rasa's sender id
    channel: Mapped[str] = mapped_column(String(32))  # the channel the shopper wrote on (socketio, whatsapp...)
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))  # asked | not_understood | dispute
    status: Mapped[str] = mapped_column(String(16))  # waiting | assigned | resolved
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    tracking_numbers: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The shopper's reference for the request, and the last day to answer it (parcels.attendance.answer_due).
    reference: Mapped[str] = mapped_column(String(16))
    answer_due_on: Mapped[date] = mapped_column(Date)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an agent's first message: the clock stops
    # when its shopper's data was erased: its times and reference stay (the proof of attendance), not whose it was
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoffNote(Base):
    """An agent's internal note on a handoff: never shown to the shopper."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    text: Mapped[str] = mapped_column(String(2000))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgentAction(Base):
    """What an agent did, who and when (took, wrote, noted, handed back...): kept, never edited."""

    __tablename__ = "agent_actions"
    __table_args__ = (Index("ix_agent_actions_handoff_at", "handoff_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInAttempt(Base):
    """One try at signing in to the console, kept so that every web process counts the same failures."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email_at", "email", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
        Index("ix_sign_in_attempts_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # as given, normalised (an unknown one too)
    address: Mapped[str] = mapped_column(String(64))  # the client's IP address
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffSession(Base):
    """A console sign-in. The cookie holds a random token; only its SHA-256 is kept here. Signing out revokes it
    for every copy of the cookie."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PrivacyRequest(Base):
    """A request about one shopper's data (find, export, erase) and what came of it, or a day's purge of what is
    past its time (no key; written when it starts, its outcome when it ends). The key is kept masked and as its
    SHA-256, never in full: the log of an erasure holds nothing of what was erased."""

    __tablename__ = "privacy_requests"
    __table_args__ = (
        UniqueConstraint("reference", name="uq_privacy_requests_reference"),
        Index("ix_privacy_requests_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # find | export | erase | purge
    key_kind: Mapped[str | None] = mapped_column(String(16))  # phone | email | tracking_number | order | conversation
    key_masked: Mapped[str | None] = mapped_column(String(160))
    key_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # the staff member's email, or the operator's name
    ground: Mapped[str] = mapped_column(String(500))  # the shopper's request it answers
    outcome: Mapped[dict[str, int]] = mapped_column(JSON)  # records found, exported or erased, by kind
    at: Mapped[datetime] = mapped_column(UTCDateTime)
