"""Where notifications go: Twilio (WhatsApp templates and SMS), or a local sink when no credentials are set.

A sender says how each attempt ended, in three kinds the dispatcher acts on differently:
sent (with the provider's id), a failure worth retrying later (rate limits, 5xx), a
permanent failure (opted out, bad number...), or an ambiguous one (a timeout or a 5xx
after which the message may exist): that one is resolved by looking the message up,
never by sending it again blindly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from parcels.provider_errors import WORDS

log = logging.getLogger(__name__)

# Twilio's codes for "slow down": try again later. (A 5xx is ambiguous: the message may exist.)
RETRY_CODES = frozenset({20429, 63018})
# Codes after which this message will never go through.
PERMANENT_CODES = {code: WORDS[code] for code in (21610, 21211, 21614, 21408, 63016, 63028, 21656)}


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

    async def send(self, message: Outgoing, status_callback: str | None) -> str:
        """The provider's id of the created message; raises RetryLater, Permanent or Ambiguous."""
        ...

    async def find(self, message: Outgoing, since: datetime) -> str | None:
        """The id of this message if the provider has it (created since ``since``), else None."""
        ...

    async def close(self) -> None: ...


class TwilioSender:
    """The real `twilio` library's async client, its own retries off (a retried POST could send twice).

    Create it inside the running event loop (its aiohttp session belongs to that loop). The
    library passes no timeout to aiohttp, so each call is bounded here."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_whatsapp: str | None,
        from_sms: str | None,
        timeout: float = 10.0,
        http_client: AsyncTwilioHttpClient | None = None,
    ) -> None:
        self.http = http_client or AsyncTwilioHttpClient()
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.from_whatsapp, self.from_sms = from_whatsapp, from_sms
        self.timeout = timeout

    def _sender_for(self, to: str) -> str:
        sender = self.from_whatsapp if to.startswith("whatsapp:") else self.from_sms
        if not sender:
            raise Permanent(f"no sender number configured for {'WhatsApp' if to.startswith('whatsapp:') else 'SMS'}")
        return sender

    async def send(self, message: Outgoing, status_callback: str | None) -> str:
        params: dict[str, object] = {"to": message.to, "from_": self._sender_for(message.to)}
        if message.content_sid:
            params["content_sid"] = message.content_sid
            params["content_variables"] = json.dumps(message.content_variables or {}, ensure_ascii=False)
        else:
            params["body"] = message.body
        if status_callback:
            params["status_callback"] = status_callback
        try:
            async with asyncio.timeout(self.timeout):
                created = await self.client.messages.create_async(**params)
            sid: str = created.sid  # the twilio library has no types
            return sid
        except TwilioRestException as error:
            code = error.code or 0
            if code in PERMANENT_CODES:
                raise Permanent(f"{code}: {PERMANENT_CODES[code]}") from error
            if error.status >= 500:
                raise Ambiguous(f"{error.status}") from error
            if error.status == 429 or code in RETRY_CODES:
                raise RetryLater(f"{code or error.status}: rate limited") from error
            raise Permanent(f"{code or error.status}: {error.msg}") from error
        except aiohttp.ClientConnectorError as error:  # the request never left: nothing was created
            raise RetryLater(f"cannot reach Twilio: {error}") from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise Ambiguous(type(error).__name__) from error

    async def find(self, message: Outgoing, since: datetime) -> str | None:
        try:
            async with asyncio.timeout(self.timeout):
                found = await self.client.messages.list_async(to=message.to, date_sent_after=since, limit=50)
        except (TwilioRestException, TimeoutError, aiohttp.ClientError) as error:
            raise RetryLater(f"could not look the message up: {error!r}") from error
        for candidate in found:
            if message.matches(candidate.body if message.body else None, candidate.to):
                found_sid: str = candidate.sid
                return found_sid
        return None

    async def close(self) -> None:
        await self.http.close()


@dataclass
class SinkSender:
    """No Twilio credentials: messages are kept here (and logged) instead of being sent."""

    name: str = "sink"
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)

    async def send(self, message: Outgoing, status_callback: str | None) -> str:
        sid = f"SINK{uuid.uuid4().hex}"  # unique across restarts, like the provider's own ids
        self.sent.append((sid, message))
        log.debug("sink: %s to %s: %s", sid, message.to, message.body or message.content_variables)
        return sid

    async def find(self, message: Outgoing, since: datetime) -> str | None:
        return next((sid for sid, sent in self.sent if sent == message), None)

    async def close(self) -> None:
        return None
