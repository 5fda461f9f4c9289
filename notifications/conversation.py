"""The shopper's Rasa conversation over Rasa's HTTP API: a sent notification written into it (so that a reply
continues about that parcel), and an agent's messages, pause and hand-back.

Rasa's HTTP API (``POST /conversations/{sender}/tracker/events``): the message as the
assistant's own utterance, and the parcel in the ``tracking_numbers`` slot (with the
conversation's language). The sender id is the one the WhatsApp/SMS connector uses
(``whatsapp:+34...`` or ``+34...``), written as is: Rasa does not decode ``%3A``/``%2B``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not take the request: nothing was written to the conversation."""


class RasaConversations:
    WARN_EVERY = 60.0  # seconds: while Rasa is down, say so once a minute, not once a message

    def __init__(self, base_url: str, token: str | None, timeout: float = 5.0) -> None:
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self.failures, self.warned_at = 0, float("-inf")
        self.session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:  # made lazily: an aiohttp session belongs to the running loop
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self.session

    def _url(self, sender_id: str, path: str = "") -> str:
        return f"{self.base_url}/conversations/{sender_id}/tracker{path}"

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """The conversation as Rasa holds it (its events, slots, whether it is paused)."""
        try:
            async with self._session().get(self._url(sender_id), params=self._params()) as response:
                response.raise_for_status()
                return dict(await response.json())
        except (TimeoutError, aiohttp.ClientError) as error:
            raise RasaUnavailable(str(error)) from error

    async def append(self, sender_id: str, events: list[dict[str, Any]], deliver: bool = False) -> None:
        """Add events to the conversation; ``deliver``: send its bot messages on the shopper's latest channel."""
        params = self._params()
        if deliver:
            params.update(execute_side_effects="true", output_channel="latest")
        try:
            async with self._session().post(self._url(sender_id, "/events"), params=params, json=events) as response:
                response.raise_for_status()
        except (TimeoutError, aiohttp.ClientError) as error:
            raise RasaUnavailable(str(error)) from error

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def record(self, sender_id: str, text: str, tracking_number: str, language: str) -> bool:
        """Best effort: a conversation that cannot be written is logged, never a reason to resend."""
        events = [
            {"event": "slot", "name": "tracking_numbers", "value": [tracking_number], "timestamp": time.time()},
            {"event": "slot", "name": "language", "value": language, "timestamp": time.time()},
            {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {"notification": True}},
        ]
        try:
            await self.append(sender_id, events)
        except RasaUnavailable as error:
            self.failures += 1
            if time.monotonic() - self.warned_at >= self.WARN_EVERY:
                self.warned_at = time.monotonic()
                log.warning(
                    "could not write notifications into Rasa conversations (%d so far; last: %s): %s",
                    self.failures,
                    sender_id,
                    error,
                )
            return False
        return True
