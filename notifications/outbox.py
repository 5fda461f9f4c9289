"""The outbox: what a notification is (kind, channel, status), how rows enter it, are leased, and end.

Every caller that shows or sends a notification renders it here, with ``render``: the
dispatcher, the console's outbox page, the web chat inbox and the dry run read the same
text, and fail the same way (``Unrenderable``) when a template cannot be rendered.

A row is written once per shipment and kind, ever (``dedupe_key``): the outbox repository's
``enqueue`` inserts in bulk and skips the keys that are already there, so notifiers running at once, or a pass
repeated after a crash, never write a notification twice. A dispatcher *leases* due rows
(``pending`` -> ``sending``, one attempt more) before it sends them, and ``finish`` records
how each ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from parcels.outbox_records import Channel, Kind, Status
from parcels.storage.models import Consent, Notification
from templates.manifest import content_sid, content_variables, typed
from templates.renderer import render_message

__all__ = [
    "Channel",
    "Kind",
    "Rendered",
    "Status",
    "Unrenderable",
    "count_attempt",
    "dedupe_key",
    "finish",
    "lease_due",
    "opted_out",
    "render",
    "render_row",
]


class Unrenderable(Exception):
    """The notification's template cannot be rendered (a broken published version, a missing file...)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A notification as its channel carries it."""

    text: str  # what the shopper reads
    content_sid: str | None = None  # WhatsApp: the approved template, when one is configured
    content_variables: dict[str, str] | None = None  # WhatsApp: its variables (the sender sends them as JSON)


def dedupe_key(shipment_id: int, kind: Kind) -> str:
    return f"{shipment_id}:{kind}"


def render(kind: str, channel: str, locale: str, variables: Mapping[str, Any]) -> Rendered:
    """The notification for its channel; WhatsApp also gets its approved template and variables, if configured."""
    values = typed(dict(variables))
    try:
        if channel in (Channel.SMS, Channel.WEB):
            return Rendered(render_message(kind, channel, locale, values))
        text = render_message(kind, Channel.WHATSAPP, locale, values)
        sid = content_sid(kind, locale)
        return Rendered(text, sid, content_variables(kind, locale, values) if sid else None)
    except (TemplateError, ValueError, LookupError) as error:
        raise Unrenderable(str(error) or type(error).__name__) from error


def render_row(notification: Notification) -> Rendered:
    return render(notification.kind, notification.channel, notification.locale, notification.variables)


def opted_out(session: Session, phones: Sequence[str]) -> set[str]:
    """The phones whose newest consent record is an opt-out (on any channel: it applies to all)."""
    if not phones:
        return set()
    newest: dict[str, str] = {}
    rows = session.execute(
        select(Consent.phone, Consent.action).where(Consent.phone.in_(phones)).order_by(Consent.at, Consent.id)
    )
    for phone, action in rows:
        newest[phone] = action
    return {phone for phone, action in newest.items() if action == "opt_out"}


def lease_due(session: Session, now: datetime, limit: int) -> list[Notification]:
    """Mark up to ``limit`` due rows ``sending`` for this dispatcher alone, and return them.

    PostgreSQL: other dispatchers skip the rows locked here. SQLite reads outside the write
    lock, so the update itself re-checks ``pending``: a row another dispatcher took first is
    simply not returned. A row whose customer opted out after it was enqueued (while it
    waited for the morning) is skipped instead."""
    due = (
        select(Notification.id)
        .where(Notification.status == str(Status.PENDING), Notification.not_before <= now)
        .order_by(Notification.not_before, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        return []
    lease = (
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == str(Status.PENDING))
        .values(status=str(Status.SENDING), updated_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    leased = list(session.scalars(lease))
    rows = list(session.scalars(select(Notification).where(Notification.id.in_(leased)).order_by(Notification.id)))
    silenced = opted_out(session, [row.recipient for row in rows if row.channel != Channel.WEB and row.recipient])
    for row in rows:
        if row.recipient in silenced:
            row.status, row.reason = str(Status.SKIPPED), "the customer opted out before it was sent"
    return [row for row in rows if row.status == Status.SENDING]


def count_attempt(session: Session, notification_id: int, now: datetime) -> int | None:
    """Count the send about to be made (committed before the provider is asked, so a message that crashes the
    notifier fails after a few crashes, while the rows a crash merely held, never tried, do not pay for it).

    The attempts so far, or None when the row is no longer this dispatcher's to send."""
    counted = (
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == str(Status.SENDING))
        .values(attempts=Notification.attempts + 1, updated_at=now)
        .returning(Notification.attempts)
        .execution_options(synchronize_session=False)
    )
    attempts: int | None = session.scalar(counted)
    return attempts


def finish(session: Session, notification_id: int, status: Status, now: datetime, **fields: object) -> str | None:
    """Record how a notification ended (or that it waits again); its provider id, if it has one."""
    row = session.get(Notification, notification_id)
    if row is None:
        return None
    row.status = str(status)
    row.updated_at = now
    for name, value in fields.items():
        setattr(row, name, value)
    return row.provider_sid
