"""The outbox: what a notification is (kind, channel, status), how rows enter it, are leased, and end.

Every caller that shows or sends a notification renders it here, with ``render``: the
dispatcher, the console's outbox page, the web chat inbox and the dry run read the same
text, and fail the same way (``Unrenderable``) when a template cannot be rendered.

A row is written once per shipment and kind, ever (``dedupe_key``): the outbox repository's
``enqueue`` inserts in bulk and skips the keys that are already there, so notifiers running at once, or a pass
repeated after a crash, never write a notification twice. A dispatcher *leases* due rows
(``pending`` -> ``sending``) before it sends them, counts each attempt and records how each
ended, through the unit of work's ``outbox`` (``parcels.storage.outbox_store``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError

from parcels.outbox_records import Channel, Kind, OutboxMessage, Status
from templates.manifest import content_sid, content_variables, typed
from templates.renderer import render_message

__all__ = [
    "Channel",
    "Kind",
    "Rendered",
    "Status",
    "Unrenderable",
    "dedupe_key",
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


def render_row(message: OutboxMessage) -> Rendered:
    return render(message.kind, message.channel, message.locale, message.variables)
