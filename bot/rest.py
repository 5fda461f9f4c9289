"""The REST channel (``POST /webhooks/rest/webhook``), for scripts, tests and other front ends: Rasa's own,
with the caller trusted for nothing.

- With a token (``token`` in credentials.yml or ``REST_CHANNEL_TOKEN``), only a caller that sends it
  (``Authorization: Bearer …`` or ``?token=``) is served; ``enabled: false`` / ``REST_CHANNEL=off`` turns
  the channel off (404).
- The conversation is ``rest:<sender>``, whatever ``sender`` holds: a REST caller can never speak in
  another channel's conversation (``whatsapp:+34…``, the web chat's ``web-…``). ``input_channel`` is always
  ``rest``; of the metadata only ``language`` is kept.
- The body must be a JSON object of at most ``MAX_BODY`` bytes with ``sender`` and ``message`` as text;
  anything else gets 400 (or 413) with the reason, and the message is screened (``bot.screening``).
"""

import hmac
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.screening import screened

logger = logging.getLogger(__name__)

PREFIX = "rest:"
MAX_BODY = 256 * 1024  # a long paste is answered (asked to be shorter); only beyond this is it 413
SENDER = re.compile(r"[A-Za-z0-9_.@:+-]{1,128}")
LANGUAGE = re.compile(r"[A-Za-z]{2}(-[A-Za-z]{2})?")


def _refusal(status: int, message: Text) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class NamespacedRestInput(InputChannel):
    """``bot.rest.NamespacedRestInput`` in credentials.yml; its webhook is ``/webhooks/rest/webhook``."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        token = credentials.get("token") or os.environ.get("REST_CHANNEL_TOKEN") or ""
        enabled = str(credentials.get("enabled", os.environ.get("REST_CHANNEL", "on"))).strip().lower()
        return cls(token=str(token), enabled=enabled not in ("off", "false", "0", "no"))

    def __init__(self, token: Text = "", enabled: bool = True) -> None:
        self.token, self.enabled = token, enabled
        if enabled and not token:
            logger.warning("rest channel: no REST_CHANNEL_TOKEN; anyone who reaches this port can chat over REST")

    def _authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or request.args.get("token")
        return bool(given) and hmac.compare_digest(str(given).encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("namespaced_rest", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "off"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.enabled:
                return _refusal(404, "the REST channel is off")
            if not self._authorised(request):
                return _refusal(401, "missing or wrong token (Authorization: Bearer …)")
            if len(request.body or b"") > MAX_BODY:
                return _refusal(413, f"the body is larger than {MAX_BODY} bytes")
            try:
                body = json.loads(request.body or b"")
            except (ValueError, RecursionError):
                return _refusal(400, "the body is not JSON")
            if not isinstance(body, dict):
                return _refusal(400, 'send a JSON object: {"sender": "…", "message": "…"}')
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER.fullmatch(sender):
                return _refusal(400, "sender must be 1 to 128 letters, digits or _.@:+-")
            if not isinstance(text, str):
                return _refusal(400, "message must be text")
            metadata = body.get("metadata")
            language = metadata.get("language") if isinstance(metadata, dict) else None
            kept = {"language": language} if isinstance(language, str) and LANGUAGE.fullmatch(language) else {}
            text, kept = screened(text, kept)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, PREFIX + sender, input_channel=self.name(), metadata=kept)
                )
            except Exception as error:  # a lock store or tracker store that is down: say so, never drop it silently
                logger.exception("rest channel: handling a message from %s failed", PREFIX + sender)
                reason = f"the assistant is unavailable for a moment ({type(error).__name__}); send it again"
                return _refusal(503, reason)
            return response.json(collector.messages)

        return rest
