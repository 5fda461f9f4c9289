"""Where notifications go: Twilio (WhatsApp templates and SMS), or a local sink when no credentials are set.

A sender says how each attempt ended, in three kinds the dispatcher acts on differently:
sent (with the provider's id), a failure worth retrying later (rate limits, 5xx), a
permanent failure (opted out, bad number...), or an ambiguous one (a timeout or a 5xx
after which the message may exist): that one is resolved by looking the message up,
never by sending it again blindly.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

# Twilio's codes for "slow down": try again later. (A 5xx is ambiguous: the message may exist.)
RETRY_CODES = frozenset({20429, 63018})
# Codes after which this message will never go through.
PERMANENT_CODES = {
    21610: "the recipient opted out (STOP)",
    21211: "the phone number is not valid",
    21614: "the number cannot receive SMS",
    21408: "the destination is not enabled for this account",
    63016: "no open WhatsApp conversation and no approved template",
    63028: "the template's variables do not match the approved template",
    21656: "the template variables are invalid",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    to: str  # +34... for SMS, whatsapp:+34... for WhatsApp
    body: str | None = None  # SMS text
    content_sid: str | None = None  # WhatsApp approved template
    content_variables: dict[str, str] | None = None

    def matches(self, body: str | None, to: str) -> bool:
        """Whether a message found at the provider is this one (same recipient; same text when we know it)."""
        return to == self.to and (self.body is None or body == self.body)


class RetryLater(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Permanent(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Ambiguous(Exception):
    """The request may or may not have created the message: look it up before doing anything else."""


class Sender(Protocol):
    name: str

    def send(self, message: Outgoing, status_callback: str | None) -> str:
        """The provider's id of the created message; raises RetryLater, Permanent or Ambiguous."""
        ...

    def find(self, message: Outgoing, since: datetime) -> str | None:
        """The id of this message if the provider has it (created since ``since``), else None."""
        ...


class TwilioSender:
    """The real `twilio` library: its own POST retries off (a retried POST could send twice)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_whatsapp: str | None,
        from_sms: str | None,
        timeout: float = 10.0,
        http_client: TwilioHttpClient | None = None,
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout))
        self.from_whatsapp, self.from_sms = from_whatsapp, from_sms

    def _sender_for(self, to: str) -> str:
        sender = self.from_whatsapp if to.startswith("whatsapp:") else self.from_sms
        if not sender:
            raise Permanent(f"no sender number configured for {'WhatsApp' if to.startswith('whatsapp:') else 'SMS'}")
        return sender

    def send(self, message: Outgoing, status_callback: str | None) -> str:
        params: dict[str, object] = {"to": message.to, "from_": self._sender_for(message.to)}
        if message.content_sid:
            params["content_sid"] = message.content_sid
            params["content_variables"] = json.dumps(message.content_variables or {}, ensure_ascii=False)
        else:
            params["body"] = message.body
        if status_callback:
            params["status_callback"] = status_callback
        try:
            return self.client.messages.create(**params).sid  # type: ignore[arg-type]
        except TwilioRestException as error:
            code = error.code or 0
            if code in PERMANENT_CODES:
                raise Permanent(f"{code}: {PERMANENT_CODES[code]}") from error
            if error.status >= 500:
                raise Ambiguous(f"{error.status}") from error
            if error.status == 429 or code in RETRY_CODES:
                raise RetryLater(f"{code or error.status}: rate limited") from error
            raise Permanent(f"{code or error.status}: {error.msg}") from error
        except (requests.Timeout, requests.ConnectionError) as error:
            raise Ambiguous(type(error).__name__) from error

    def find(self, message: Outgoing, since: datetime) -> str | None:
        try:
            found = self.client.messages.list(to=message.to, date_sent_after=since, limit=50)
        except (TwilioRestException, requests.RequestException) as error:
            raise RetryLater(f"could not look the message up: {error}") from error
        for candidate in found:
            if message.matches(candidate.body if message.body else None, candidate.to):
                return candidate.sid
        return None


@dataclass
class SinkSender:
    """No Twilio credentials: messages are kept here (and logged) instead of being sent."""

    name: str = "sink"
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: Callable[[int], str] = lambda n: f"SINK{n:030d}"

    def send(self, message: Outgoing, status_callback: str | None) -> str:
        with self._lock:
            sid = self._next(len(self.sent) + 1)
            self.sent.append((sid, message))
        log.debug("sink: %s to %s: %s", sid, message.to, message.body or message.content_variables)
        return sid

    def find(self, message: Outgoing, since: datetime) -> str | None:
        with self._lock:
            return next((sid for sid, sent in self.sent if sent == message), None)
