"""WhatsApp and SMS through Twilio: an input channel for the Rasa server that checks who is calling.

Twilio posts every message the shopper sends to ``POST /webhooks/whatsapp/webhook`` (form-encoded:
``From`` is ``whatsapp:+34...`` on WhatsApp and ``+34...`` on SMS, ``Body``, ``MessageSid``...).
For each delivery, in this order:

1. Not configured (no auth token or no public URL): 503 and a log line. The server still starts.
2. ``X-Twilio-Signature`` checked with ``RequestValidator(auth_token)`` against the *public* URL,
   the one set in Twilio's console (behind a proxy the request's own URL differs); missing or
   wrong: 403 and a log line, nothing else happens.
3. A delivery Twilio retries (same ``I-Twilio-Idempotency-Token``, or the same ``MessageSid``)
   within ``dedupe_seconds`` is acknowledged with an empty TwiML and not processed again. The
   memory of recent deliveries is per process (bounded, with a TTL): two Rasa servers behind a
   load balancer do not share it.
4. A message that is only an opt-out or opt-in keyword (``config/opt_out.yml``) never reaches
   the NLU: it is logged, posted to the app's consent hook (``OPT_OUT_HOOK_URL``) when there is
   one, and confirmed in the keyword's language.
5. Anything else goes to the assistant; its replies come back in the HTTP response as TwiML
   ``<Message>``s, each cut to the channel's limit.

Messages sent outside a webhook's answer (an agent's, through Rasa's ``tracker/events`` API with
``output_channel=latest``) go through Twilio's Messages API (``TwilioRestOutput``).

Settings come from the channel's entry in credentials.yml, else from the environment, so the
entry can stay empty in the repository: ``auth_token`` / ``TWILIO_AUTH_TOKEN``, ``public_url`` /
``TWILIO_WEBHOOK_URL``, ``opt_out_hook_url`` / ``OPT_OUT_HOOK_URL``, ``opt_out_hook_secret`` /
``OPT_OUT_HOOK_SECRET`` (sent as ``X-Hook-Secret``), ``opt_out_file`` / ``OPT_OUT_FILE``; for
the Messages API ``account_sid`` / ``TWILIO_ACCOUNT_SID``, ``whatsapp_from`` / ``TWILIO_WHATSAPP_FROM``,
``sms_from`` / ``TWILIO_SMS_FROM`` and ``api_url`` / ``TWILIO_API_URL``.
"""

import asyncio
import json
import logging
import os
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import Message, MessagingResponse

from bot import opt_out

logger = logging.getLogger(__name__)

WHATSAPP_PREFIX = "whatsapp:"
# Twilio's limit for one message body (WhatsApp and SMS: longer SMS are sent as segments by Twilio).
MAX_BODY = 1600
SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# Twilio's Webhook Rules sign with a shared key (HMAC-SHA256) instead of the auth token: not supported.
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
HOOK_SECRET_HEADER = "X-Hook-Secret"
# How long a repeated delivery waits for the first one's answer (Twilio gives up on a webhook after 15 s).
REPEAT_WAIT_SECONDS = 10.0


class RecentDeliveries:
    """The deliveries of the last ``ttl`` seconds and their answers (at most ``max_size``, oldest dropped).

    Each key (idempotency token, MessageSid) maps to a future that the first delivery fills with its TwiML.
    """

    def __init__(self, ttl: float = 600.0, max_size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_size = max_size
        self.clock = clock
        self._entries: "OrderedDict[Text, Tuple[float, asyncio.Future]]" = OrderedDict()

    def _purge(self, now: float) -> None:
        while self._entries and next(iter(self._entries.values()))[0] <= now:
            self._entries.popitem(last=False)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def claim(self, keys: Iterable[Text]) -> Tuple[bool, "asyncio.Future[Text]"]:
        """(True, the first delivery's answer) for a repeat; else (False, a future to fill with the answer)."""
        keys = [k for k in keys if k]
        now = self.clock()
        self._purge(now)
        for key in keys:
            if key in self._entries:
                return True, self._entries[key][1]
        answer: "asyncio.Future[Text]" = asyncio.get_running_loop().create_future()
        for key in keys:
            self._entries[key] = (now + self.ttl, answer)
        self._purge(now)
        return False, answer

    def forget(self, keys: Iterable[Text]) -> None:
        for key in keys:
            self._entries.pop(key, None)


def split_body(text: Text, limit: int = MAX_BODY) -> List[Text]:
    """``text`` in pieces of at most ``limit`` characters, cut at a paragraph, line or space when possible."""
    text = text.strip()
    pieces = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


class TwiMLOutput(OutputChannel):
    """Collects the assistant's replies for one delivery, to answer them as TwiML."""

    def __init__(self, channel: Text) -> None:
        self.channel = channel
        self.messages: List[Dict[Text, Text]] = []

    def name(self) -> Text:  # type: ignore[override]
        # The channel responses are chosen for (``channel: whatsapp`` / ``channel: sms`` in domain.yml).
        return self.channel

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        # One reply stays one message (the REST channel splits at blank lines; WhatsApp needs not).
        self.messages.append({"text": text})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        self.messages.append({"media": image})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        logger.warning("whatsapp: a custom payload cannot be sent as TwiML; dropped: %s", list(json_message))

    def twiml(self, limit: int = MAX_BODY) -> Text:
        return twiml_of(self.messages, limit)


class TwilioRestOutput(OutputChannel):
    """Messages nobody is waiting for in a webhook's answer (an agent's, written in the console), sent
    through Twilio's Messages API: inside WhatsApp's 24-hour window free text is allowed."""

    def __init__(
        self, account_sid: Text, auth_token: Text, whatsapp_from: Text, sms_from: Text, api_url: Text, max_body: int
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.whatsapp_from, self.sms_from = whatsapp_from, sms_from
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.max_body = max_body

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        sender = self.whatsapp_from if recipient_id.startswith(WHATSAPP_PREFIX) else self.sms_from
        if not sender:
            raise RuntimeError(f"no sender number configured for {_masked(recipient_id)}")
        auth = aiohttp.BasicAuth(self.account_sid, self.auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
            for part in split_body(text, self.max_body):
                form = {"To": recipient_id, "From": sender, "Body": part}
                async with session.post(self.url, data=form, auth=auth) as answer:
                    if answer.status >= 300:
                        refusal = f"{answer.status} {await answer.text()}"
                        raise RuntimeError(f"Twilio refused a message to {_masked(recipient_id)}: {refusal}")


def twiml_of(messages: Iterable[Dict[Text, Text]], limit: int = MAX_BODY) -> Text:
    reply = MessagingResponse()
    for message in messages:
        if "media" in message:
            media = Message()
            media.media(message["media"])
            reply.append(media)
        else:
            for piece in split_body(message.get("text") or "", limit):
                reply.message(piece)
    return str(reply)


def _xml(twiml: Text) -> HTTPResponse:
    return response.text(twiml, content_type="text/xml; charset=utf-8")


def _masked(phone: Text) -> Text:
    return phone[:-6] + "******" if len(phone) > 6 else "******"


class TwilioWhatsAppInput(InputChannel):
    """``bot.whatsapp.TwilioWhatsAppInput`` in credentials.yml; its webhook is ``/webhooks/whatsapp/webhook``."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}

        def setting(key: Text, env: Text, default: Text = "") -> Text:
            value = credentials.get(key)
            return str(value) if value not in (None, "") else os.environ.get(env, default)

        return cls(
            auth_token=setting("auth_token", "TWILIO_AUTH_TOKEN"),
            public_url=setting("public_url", "TWILIO_WEBHOOK_URL"),
            opt_out_hook_url=setting("opt_out_hook_url", "OPT_OUT_HOOK_URL"),
            opt_out_hook_secret=setting("opt_out_hook_secret", "OPT_OUT_HOOK_SECRET"),
            opt_out_file=setting("opt_out_file", "OPT_OUT_FILE") or None,
            dedupe_seconds=float(setting("dedupe_seconds", "TWILIO_DEDUPE_SECONDS", "600")),
            max_body=int(setting("max_body", "TWILIO_MAX_BODY", str(MAX_BODY))),
            account_sid=setting("account_sid", "TWILIO_ACCOUNT_SID"),
            whatsapp_from=setting("whatsapp_from", "TWILIO_WHATSAPP_FROM"),
            sms_from=setting("sms_from", "TWILIO_SMS_FROM"),
            api_url=setting("api_url", "TWILIO_API_URL", "https://api.twilio.com"),
        )

    def __init__(
        self,
        auth_token: Text = "",
        public_url: Text = "",
        opt_out_hook_url: Text = "",
        opt_out_hook_secret: Text = "",
        opt_out_file: Optional[Text] = None,
        dedupe_seconds: float = 600.0,
        max_body: int = MAX_BODY,
        account_sid: Text = "",
        whatsapp_from: Text = "",
        sms_from: Text = "",
        api_url: Text = "https://api.twilio.com",
    ) -> None:
        self.auth_token = auth_token
        self.account_sid, self.api_url = account_sid, api_url
        self.whatsapp_from, self.sms_from = whatsapp_from, sms_from
        self.public_url = public_url
        self.opt_out_hook_url = opt_out_hook_url
        self.opt_out_hook_secret = opt_out_hook_secret
        self.keywords = opt_out.load(opt_out_file)
        self.recent = RecentDeliveries(ttl=dedupe_seconds)
        self.max_body = max_body
        self.validator = RequestValidator(auth_token) if auth_token else None
        if not self.configured:
            logger.warning(
                "whatsapp channel: no auth token (TWILIO_AUTH_TOKEN) or public URL (TWILIO_WEBHOOK_URL); "
                "every request to /webhooks/whatsapp/webhook will be refused with 503"
            )
        if not opt_out_hook_url:
            logger.warning("whatsapp channel: no OPT_OUT_HOOK_URL; opt-outs and opt-ins will only be logged")

    @property
    def configured(self) -> bool:
        return bool(self.auth_token and self.public_url)

    def signed_url(self, request: Request) -> Text:
        """The URL Twilio signed: the configured public one, plus the query string Twilio called it with."""
        if request.query_string and "?" not in self.public_url:
            return f"{self.public_url}?{request.query_string}"
        return self.public_url

    def is_from_twilio(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            logger.warning("whatsapp: refused a request without %s (403)", SIGNATURE_HEADER)
            return False
        if request.headers.get(SIGNATURE_SETTINGS_HEADER):
            logger.warning("whatsapp: refused a request signed by a Webhook Rule's shared key: not supported (403)")
            return False
        if self.validator is None or not self.validator.validate(self.signed_url(request), request.form, signature):
            logger.warning(
                "whatsapp: refused a request whose signature does not match %s (403)", self.signed_url(request)
            )
            return False
        return True

    async def record_consent(self, match: opt_out.Match, phone: Text, channel: Text, text: Text, sid: Text) -> None:
        record = {
            "phone": phone,
            "channel": channel,
            "action": match.action,
            "text": text,
            "language": match.language,
            "message_sid": sid,
            "at": datetime.now(timezone.utc).isoformat(),
        }
        logger.info("whatsapp: %s from %s on %s (%r)", match.action, _masked(phone), channel, match.keyword)
        if not self.opt_out_hook_url:
            # The log is then the only record: keep all of it.
            logger.warning(
                "whatsapp: no consent hook configured; consent record: %s", json.dumps(record, ensure_ascii=False)
            )
            return
        headers = {HOOK_SECRET_HEADER: self.opt_out_hook_secret} if self.opt_out_hook_secret else {}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                session.post(self.opt_out_hook_url, json=record, headers=headers) as answer,
            ):
                if answer.status >= 300:
                    raise RuntimeError(f"HTTP {answer.status}")
        except Exception as error:  # the shopper's STOP is honoured all the same: keep it in the log
            logger.error(
                "whatsapp: consent hook failed (%s); consent record: %s", error, json.dumps(record, ensure_ascii=False)
            )

    async def handle(
        self,
        request: Request,
        sender: Text,
        text: Text,
        sid: Text,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Text:
        """The TwiML answer to one (new) message."""
        channel = "whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms"
        phone = sender[len(WHATSAPP_PREFIX) :] if channel == "whatsapp" else sender
        match = self.keywords.match(text)
        if match is not None:
            await self.record_consent(match, phone, channel, text, sid)
            text = confirmation(request, opt_out.Keywords.response_name(match), match.language)
            return twiml_of([{"text": text}], self.max_body)
        if not text:
            # Media, a location or an empty body: nothing the assistant understands yet.
            logger.info("whatsapp: message %s without text (NumMedia=%s) ignored", sid, request.form.get("NumMedia"))
            return twiml_of([])
        output = TwiMLOutput(channel)
        await on_new_message(
            UserMessage(
                text,
                output,
                sender_id=sender,
                input_channel=channel,
                message_id=sid or None,
                metadata={"channel": channel, "phone": phone, "message_sid": sid},
            )
        )
        return output.twiml(self.max_body)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        whatsapp = Blueprint("whatsapp", __name__)

        @whatsapp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not configured"})

        @whatsapp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                logger.error("whatsapp: a request arrived but the channel is not configured (503)")
                return response.text("channel not configured", status=503)
            if not self.is_from_twilio(request):
                return response.text("forbidden", status=403)

            sender = request.form.get("From") or ""
            text = (request.form.get("Body") or "").strip()
            sid = request.form.get("MessageSid") or request.form.get("SmsMessageSid") or ""
            token = request.headers.get(IDEMPOTENCY_HEADER) or ""
            if not sender:
                logger.warning("whatsapp: a signed request without From (400)")
                return response.text("no From", status=400)
            keys = [f"token:{token}" if token else "", f"sid:{sid}" if sid else ""]
            repeat, answer = self.recent.claim(keys)
            if repeat:
                # Twilio retries when it got no good answer in time: give this delivery the first one's
                # answer (waiting a little if it is still being worked out), never process it twice.
                logger.info("whatsapp: delivery %s (token %s) already received; not processed again", sid, token)
                try:
                    twiml = await asyncio.wait_for(asyncio.shield(answer), timeout=REPEAT_WAIT_SECONDS)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    twiml = twiml_of([])
                return _xml(twiml)

            twiml = twiml_of([])
            try:
                twiml = await self.handle(request, sender, text, sid, on_new_message)
            except Exception:
                # Forget the delivery so that Twilio's retry, if any, is processed rather than swallowed.
                self.recent.forget(keys)
                logger.exception("whatsapp: could not handle message %s (500)", sid)
                return response.text("error", status=500)
            finally:
                # Also when this request is cancelled: the repeats waiting for it then get an empty answer.
                if not answer.done():
                    answer.set_result(twiml)
            return _xml(twiml)

        return whatsapp

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages sent outside a webhook's answer (an agent's): Twilio's Messages API, when configured."""
        if not (self.account_sid and self.auth_token and (self.whatsapp_from or self.sms_from)):
            logger.warning(
                "whatsapp channel: a message outside a webhook's answer needs TWILIO_ACCOUNT_SID and "
                "TWILIO_WHATSAPP_FROM / TWILIO_SMS_FROM; it was not sent"
            )
            return None
        return TwilioRestOutput(
            self.account_sid, self.auth_token, self.whatsapp_from, self.sms_from, self.api_url, self.max_body
        )


def confirmation(request: Request, response: Text, language: Text) -> Text:
    """A domain.yml response in the keyword's language, read from the loaded model's domain (sentences live there)."""
    agent = getattr(request.app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    variations = (domain.responses.get(response) if domain is not None else None) or []
    fallback = None
    for variation in variations:
        conditions = variation.get("condition") or []
        if any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return variation["text"]
        if not conditions and fallback is None:
            fallback = variation["text"]
    if fallback is None:
        raise LookupError(f"domain.yml has no response {response}")
    return fallback
