"""WhatsApp and SMS through Twilio: an input channel for the Rasa server that checks who is calling.

Twilio posts every message the shopper sends to ``POST /webhooks/whatsapp/webhook`` (form-encoded:
``From`` is ``whatsapp:+34...`` on WhatsApp and ``+34...`` on SMS, ``Body``, ``MessageSid``...).
For each delivery, in this order:

1. Not configured (no auth token or no public URL): 503 and a log line. The server still starts.
2. The parameters are read from the raw body exactly as Twilio sent them, empty values included (Twilio
   signs every parameter it sends); a body that is not a form of distinct ``PascalCase`` names is 400.
3. ``X-Twilio-Signature`` checked with ``RequestValidator(auth_token)`` against the *public* URL,
   the one set in Twilio's console (behind a proxy the request's own URL differs); missing or
   wrong: 403 and a log line, nothing else happens.
4. Each field Twilio always sends must be there with its format: ``MessageSid`` (``SM``/``MM`` + 32 hex,
   and ``SmsSid``/``SmsMessageSid`` the same), ``AccountSid`` (ours, when configured), ``From`` and ``To``
   in E.164 on the same channel, ``Body``, the counts (``NumMedia``...) as digits, ``ApiVersion``. The
   signature joins names and values with no separator, so these formats are what keeps a captured
   request from being re-shaped into "another" message: 400.
5. A delivery Twilio retries (the same ``MessageSid``) is acknowledged with the first one's answer and
   not processed again: within ``dedupe_seconds`` from this process's memory, later from the
   conversation itself (its messages keep their ``MessageSid``).
6. A message that is only an opt-out or opt-in keyword (``config/opt_out.yml``) never reaches
   the NLU: it is logged, posted to the app's consent hook (``OPT_OUT_HOOK_URL``) when there is
   one, and confirmed in the keyword's language.
7. Media: its caption is read as the message; media (or a location) without text is answered that
   only text can be read for now. The text is screened like every channel's (``bot.screening``).
8. Anything else goes to the assistant, with the sender's proof in its metadata (``identity``: an HMAC
   under ``CHANNEL_IDENTITY_SECRET`` of the sender and the MessageSid, ``bot.identity``): what the
   actions take as "this is the customer's own phone". Its replies come back in the HTTP response as
   TwiML ``<Message>``s, each cut to the channel's limit.

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
import re
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple
from urllib.parse import parse_qsl

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import Message, MessagingResponse

from bot import identity, opt_out
from bot.responses import domain_text
from bot.screening import MEDIA, refused, screened

logger = logging.getLogger(__name__)

WHATSAPP_PREFIX = "whatsapp:"
# Twilio's limit for one message body (WhatsApp and SMS: longer SMS are sent as segments by Twilio).
MAX_BODY = 1600
SIGNATURE_HEADER = "X-Twilio-Signature"
# Twilio's Webhook Rules sign with a shared key (HMAC-SHA256) instead of the auth token: not supported.
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
HOOK_SECRET_HEADER = "X-Hook-Secret"
# How long a repeated delivery waits for the first one's answer (Twilio gives up on a webhook after 15 s).
REPEAT_WAIT_SECONDS = 10.0
MAX_FORM = 64 * 1024  # bytes: Twilio's largest (1,600 characters, ten media URLs, profile) is a few kB
PARAMETER_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
ADDRESS = re.compile(r"(whatsapp:)?\+[1-9][0-9]{6,14}")
MAX_MEDIA = 10
API_VERSION = "2010-04-01"
# What Twilio sends with every incoming message (Body empty for media without a caption), and its counts.
ALWAYS_SENT = frozenset({"MessageSid", "SmsMessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "NumMedia"})
COUNTS = frozenset({"NumMedia", "NumSegments", "ReferralNumMedia"})


class BadForm(ValueError):
    """A request that is not a message Twilio could have sent: answered 400 with the reason."""


def twilio_parameters(body: bytes) -> Dict[Text, Text]:
    """The form exactly as sent, empty values kept; raises BadForm."""
    if len(body) > MAX_FORM:
        raise BadForm(f"the form is larger than {MAX_FORM} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the body is not a UTF-8 form") from None
    parameters: Dict[Text, Text] = {}
    for name, value in pairs:
        if not PARAMETER_NAME.fullmatch(name):
            raise BadForm(f"{name[:64]!r} is not a Twilio parameter name")
        if name in parameters:
            raise BadForm(f"{name} is given twice")
        parameters[name] = value
    return parameters


def checked_fields(parameters: Dict[Text, Text], account_sid: Text) -> Tuple[Text, Text]:
    """(sender, MessageSid) of a signed message whose fields have Twilio's formats; raises BadForm."""
    missing = sorted(ALWAYS_SENT - set(parameters))
    if missing:
        raise BadForm(f"Twilio always sends {', '.join(missing)}")
    for name in COUNTS & set(parameters):
        if not (parameters[name].isascii() and parameters[name].isdigit() and len(parameters[name]) <= 3):
            raise BadForm(f"{name} is not a count")
    if parameters.get("ApiVersion", API_VERSION) != API_VERSION:
        raise BadForm("ApiVersion is not Twilio's")
    sid = parameters.get("MessageSid", "")
    if not MESSAGE_SID.fullmatch(sid):
        raise BadForm("MessageSid is not a message SID")
    for alias in ("SmsSid", "SmsMessageSid"):
        if parameters[alias] != sid:
            raise BadForm(f"{alias} differs from MessageSid")
    account = parameters.get("AccountSid", "")
    if not ACCOUNT_SID.fullmatch(account) or (account_sid and account != account_sid):
        raise BadForm("AccountSid is not this account's")
    sender, to = parameters.get("From", ""), parameters.get("To", "")
    if not ADDRESS.fullmatch(sender) or not ADDRESS.fullmatch(to):
        raise BadForm("From and To must be E.164 numbers (whatsapp:+… on WhatsApp)")
    if sender.startswith(WHATSAPP_PREFIX) != to.startswith(WHATSAPP_PREFIX):
        raise BadForm("From and To are on different channels")
    if int(parameters["NumMedia"]) > MAX_MEDIA:
        raise BadForm(f"NumMedia is more than {MAX_MEDIA}")
    return sender, sid


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

    def first_or_repeat(self, keys: Iterable[Text]) -> Tuple[bool, "asyncio.Future[Text]"]:
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
            identity_secret=setting("identity_secret", "CHANNEL_IDENTITY_SECRET"),
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
        identity_secret: Text = "",
        max_body: int = MAX_BODY,
        account_sid: Text = "",
        whatsapp_from: Text = "",
        sms_from: Text = "",
        api_url: Text = "https://api.twilio.com",
    ) -> None:
        self.auth_token = auth_token
        self.identity_secret = identity_secret
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
        if not identity_secret:
            logger.warning("whatsapp channel: no CHANNEL_IDENTITY_SECRET; no shopper is recognised by their phone")

    @property
    def configured(self) -> bool:
        return bool(self.auth_token and self.public_url)

    def signed_url(self, request: Request) -> Text:
        """The URL Twilio signed: the configured public one, plus the query string Twilio called it with."""
        if request.query_string and "?" not in self.public_url:
            return f"{self.public_url}?{request.query_string}"
        return self.public_url

    def is_from_twilio(self, request: Request, parameters: Dict[Text, Text]) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            logger.warning("whatsapp: refused a request without %s (403)", SIGNATURE_HEADER)
            return False
        if request.headers.get(SIGNATURE_SETTINGS_HEADER):
            logger.warning("whatsapp: refused a request signed by a Webhook Rule's shared key: not supported (403)")
            return False
        if self.validator is None or not self.validator.validate(self.signed_url(request), parameters, signature):
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

    def metadata(self, channel: Text, sender: Text, phone: Text, sid: Text) -> Dict[Text, Any]:
        """What the actions learn of the message: its channel and phone, and on WhatsApp the proof of its sender."""
        metadata: Dict[Text, Any] = {"channel": channel, "phone": phone, "message_sid": sid}
        if channel == "whatsapp" and self.identity_secret:
            metadata["identity"] = identity.sign(self.identity_secret, identity.WHATSAPP_SENDER, sender, sid)
        return metadata

    async def conversation_language(self, request: Request, sender: Text) -> Optional[Text]:
        """The language the conversation is in, if the tracker store can say; None when it cannot."""
        store = getattr(getattr(request.app.ctx, "agent", None), "tracker_store", None)
        if store is None:
            return None
        try:
            tracker = await store.retrieve(sender)
        except Exception as error:  # a store that is down must not stop an opt-out: the first list's language
            logger.warning("whatsapp: could not read the conversation's language: %s", error.__class__.__name__)
            return None
        language = tracker.get_slot("language") if tracker is not None else None
        return language if isinstance(language, str) else None

    async def already_processed(self, request: Request, sender: Text, sid: Text) -> bool:
        """Whether the conversation already holds this message (a replay after the memory of deliveries)."""
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return False
        tracker = await store.retrieve_full_tracker(sender)
        return tracker is not None and any(getattr(e, "message_id", None) == sid for e in tracker.events)

    async def handle(
        self,
        request: Request,
        parameters: Dict[Text, Text],
        sender: Text,
        sid: Text,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Text:
        """The TwiML answer to one (new) message."""
        channel = "whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms"
        phone = sender[len(WHATSAPP_PREFIX) :] if channel == "whatsapp" else sender
        body = parameters.get("Body", "").strip()
        match = self.keywords.match(body)
        if match is not None:
            if len(match.languages) > 1:
                match = opt_out.Keywords.in_language(match, await self.conversation_language(request, sender))
            await self.record_consent(match, phone, channel, body, sid)
            text = confirmation(request, opt_out.Keywords.response_name(match), match.language)
            return twiml_of([{"text": text}], self.max_body)
        metadata = self.metadata(channel, sender, phone, sid)
        media = int(parameters.get("NumMedia") or "0")
        if body:  # with media, the caption is the message
            text, metadata = screened(body, {**metadata, "media": media} if media else metadata)
        else:  # media or a location without a word, or an empty body
            text, metadata = refused(MEDIA, "", {**metadata, "media": media})
        output = TwiMLOutput(channel)
        await on_new_message(
            UserMessage(text, output, sender_id=sender, input_channel=channel, message_id=sid, metadata=metadata)
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
            try:
                parameters = twilio_parameters(request.body or b"")
            except BadForm as error:
                logger.warning("whatsapp: refused a request that is not Twilio's form: %s (400)", error)
                return response.text(str(error), status=400)
            if not self.is_from_twilio(request, parameters):
                return response.text("forbidden", status=403)
            try:
                sender, sid = checked_fields(parameters, self.account_sid)
            except BadForm as error:
                logger.warning("whatsapp: refused a signed request with a malformed field: %s (400)", error)
                return response.text(str(error), status=400)

            keys = [f"sid:{sid}"]
            repeat, answer = self.recent.first_or_repeat(keys)
            if repeat:
                # Twilio retries when it got no good answer in time: give this delivery the first one's
                # answer (waiting a little if it is still being worked out), never process it twice.
                logger.info("whatsapp: delivery %s already received; not processed again", sid)
                try:
                    twiml = await asyncio.wait_for(asyncio.shield(answer), timeout=REPEAT_WAIT_SECONDS)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    twiml = twiml_of([])
                return _xml(twiml)

            twiml = twiml_of([])
            try:
                if await self.already_processed(request, sender, sid):
                    logger.warning("whatsapp: message %s is already in its conversation; not processed again", sid)
                else:
                    twiml = await self.handle(request, parameters, sender, sid, on_new_message)
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
    """A domain.yml response in the keyword's language (sentences live there)."""
    return domain_text(getattr(request.app.ctx, "agent", None), response, language)
