"""A Twilio-compatible HTTP server on loopback, for tests and benchmarks (Twilio itself is unreachable here).

It implements enough of the 2010-04-01 Messages API for the real ``twilio`` library (sync ``Client`` and the async
``AsyncTwilioHttpClient``):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (create), ``GET .../Messages/{Sid}.json`` (fetch) and
  ``GET .../Messages.json`` (list; filters To, From, DateSent, DateSent<, DateSent>; paging with PageSize/Page);
- HTTP basic auth with the account SID and auth token (401 / 20003 otherwise);
- Twilio-shaped errors (``{"code", "message", "more_info", "status"}``) for bad numbers (21211/21212), missing
  fields (21604/21603/21602), opted-out recipients (21610), bad ContentSid/ContentVariables (21655/21656), too long
  bodies (21617), a bad StatusCallback (21609), rate limits (429/20429);
- asynchronous failures the way Twilio reports them: accepted (201, "queued") then "failed" with 63016 (WhatsApp
  free text outside the 24-hour window) or 63028 (template variable count mismatch);
- signed status callbacks (``X-Twilio-Signature``), in any order you ask for.

Pointing a client at it::

    with running_twilio() as twilio:
        client = twilio.client()               # Client(sid, token) with client.api.base_url = twilio.base_url
        # or, for code that builds its own Client and only takes an http_client:
        client = Client(twilio.account_sid, twilio.auth_token, http_client=twilio.http_client(timeout=2))

``TWILIO_EDGE`` / ``TWILIO_REGION`` cannot do this: they only rewrite the host to ``api.{edge}.{region}.twilio.com``.

Knobs (all thread-safe, callable from the test thread while the server runs in its own): ``latency``,
``fail_next``, ``drop_next``, ``timeout_next``, ``opted_out``, ``whatsapp_sessions``, ``templates``,
``rate_limit``, ``auto_statuses``, ``send_status``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from aiohttp import ClientSession, ClientTimeout, web
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

API_VERSION = "2010-04-01"
TWILIO_API = "https://api.twilio.com"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CONTENT_SID = re.compile(r"^HX[0-9a-f]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def segments(body: str) -> int:
    """SMS segments: GSM-7 160 per message / 153 per part, else UCS-2 70 / 67 (UTF-16 code units)."""
    if not body:
        return 1
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units, single, part = sum(2 if ch in GSM7_EXTENDED else 1 for ch in body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // part)


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=False).replace("-0000", "+0000")


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class RecordedRequest:
    at: float
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    status: int | None = None  # None when the connection was dropped or the client gave up first


@dataclass
class Callback:
    at: float
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    status: int | None
    error: str | None = None


@dataclass
class _Fault:
    kind: str  # "error", "drop", "hang"
    status: int = 500
    code: int = 20500
    message: str = ""
    accept: bool = False
    hang: float = 0.0
    retry_after: float | None = None


@dataclass
class TwilioLoopback:
    account_sid: str
    auth_token: str
    base_url: str = ""
    latency: float = 0.0
    opted_out: set[str] = field(default_factory=set)
    # WhatsApp recipients ("whatsapp:+34...") whose 24-hour customer-service window is open: free text is fine.
    whatsapp_sessions: set[str] = field(default_factory=set)
    # ContentSid -> template text with {{1}} placeholders; when non-empty, unknown ContentSids get 21655.
    templates: dict[str, str] = field(default_factory=dict)
    # Creates per second per sender (From or MessagingServiceSid); above it: 429 / 20429. None: unlimited.
    rate_limit: float | None = None
    # Statuses posted to StatusCallback right after a create, e.g. ["sent", "delivered"]; None: only send_status.
    auto_statuses: list[str] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._messages: dict[str, dict[str, Any]] = {}
        self._requests: list[RecordedRequest] = []
        self._callbacks: list[Callback] = []
        self._faults: deque[_Fault] = deque()
        self._callback_urls: dict[str, str] = {}
        self._sent_by_sender: dict[str, deque[float]] = {}
        self._in_flight = 0
        self.max_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._session: ClientSession | None = None
        self._validator = RequestValidator(self.auth_token)

    # ----- knobs -----

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        code: int | None = None,
        message: str | None = None,
        *,
        accept: bool = False,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``n`` creates with an error; ``accept=True`` creates the message first (ambiguous)."""
        code = code or {429: 20429, 500: 20500, 503: 20503}.get(status, status)
        message = message or {429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Internal Server Error")
        with self._lock:
            self._faults.extend(
                _Fault("error", status, code, message, accept, retry_after=retry_after) for _ in range(n)
            )

    def drop_next(self, n: int = 1, *, accept: bool = True) -> None:
        """Close the connection without an answer on the next ``n`` creates (after creating, by default)."""
        with self._lock:
            self._faults.extend(_Fault("drop", accept=accept) for _ in range(n))

    def timeout_next(self, n: int = 1, hang: float = 2.0, *, accept: bool = False) -> None:
        """Hang ``hang`` seconds (make it longer than the client's timeout) on the next ``n`` creates.

        ``accept=False``: nothing is created (then 504). ``accept=True``: the message is created before the hang and
        answered 201 after it, i.e. the client timed out on a send that happened."""
        with self._lock:
            self._faults.extend(_Fault("hang", accept=accept, hang=hang) for _ in range(n))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ----- what happened -----

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, oldest first (copies, in Twilio's JSON shape)."""
        with self._lock:
            return [dict(m) for m in self._messages.values()]

    def message(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._messages[sid])

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def callbacks(self) -> list[Callback]:
        with self._lock:
            return list(self._callbacks)

    def creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Messages.json")]

    def requests_per_second(self) -> dict[int, int]:
        """Requests received, per whole second since the epoch."""
        counts: dict[int, int] = {}
        for r in self.requests:
            counts[int(r.at)] = counts.get(int(r.at), 0) + 1
        return counts

    def peak_rate(self, window: float = 1.0) -> int:
        """Most requests received within any ``window`` seconds (a half-open window, as "per second" means)."""
        times = sorted(r.at for r in self.requests)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            self._callbacks.clear()
            self._faults.clear()
            self._sent_by_sender.clear()
            self.max_in_flight = 0

    # ----- clients -----

    def client(self, timeout: float | None = None, **kwargs: Any) -> Client:
        """A real sync ``twilio.rest.Client`` talking to this server."""
        client = Client(self.account_sid, self.auth_token, http_client=TwilioHttpClient(timeout=timeout), **kwargs)
        return point_at(client, self.base_url)

    def async_client(self, **http_kwargs: Any) -> Client:
        """A real ``Client`` with ``AsyncTwilioHttpClient`` (create it inside the event loop; use the *_async methods).

        Note: twilio 9.x's async client ignores its own ``timeout`` (it passes ``None`` to aiohttp, i.e. no timeout),
        so wrap calls in ``asyncio.wait_for`` / ``asyncio.timeout``."""
        client = Client(self.account_sid, self.auth_token, http_client=AsyncTwilioHttpClient(**http_kwargs))
        return point_at(client, self.base_url)

    def http_client(self, **kwargs: Any) -> TwilioHttpClient:
        """A sync http client that sends what is meant for api.twilio.com here (for code that builds its Client)."""
        return RedirectingHttpClient(self.base_url, **kwargs)

    def async_http_client(self, **kwargs: Any) -> AsyncTwilioHttpClient:
        return AsyncRedirectingHttpClient(self.base_url, **kwargs)

    # ----- incoming messages, as Twilio posts them to a webhook -----

    def incoming(
        self,
        sender: str,
        body: str,
        *,
        to: str | None = None,
        media: Iterable[str] = (),
        sid: str | None = None,
        profile_name: str = "Lucía",
    ) -> dict[str, str]:
        """The form Twilio posts for a message a shopper sent: every parameter real Twilio sends, empty ones
        included. WhatsApp (``whatsapp:+34…``): WaId, ProfileName, MessageType; SMS: the From*/To* geography,
        empty for a Spanish number. ``media``: content types; media without a caption has an empty Body."""
        media = list(media)
        sid = sid or new_sid("MM" if media else "SM")
        whatsapp = sender.startswith("whatsapp:")
        to = to or ("whatsapp:+14155238886" if whatsapp else "+34911000000")
        params = {
            "ToCountry": "" if whatsapp else "ES",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": str(len(media)),
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "" if whatsapp else "ES",
            "To": to,
            "ToZip": "",
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "ApiVersion": API_VERSION,
        }
        if whatsapp:
            for name in ("ToCountry", "ToState", "ToCity", "FromZip", "FromState", "FromCity", "FromCountry", "ToZip"):
                del params[name]
            params.update(WaId=sender.removeprefix("whatsapp:+"), ProfileName=profile_name)
            params["MessageType"] = media[0].split("/")[0] if media else "text"
        for n, content_type in enumerate(media):
            params[f"MediaContentType{n}"] = content_type
            params[f"MediaUrl{n}"] = (
                f"{TWILIO_API}/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media/{new_sid('ME')}"
            )
        return params

    def signature(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature`` of a webhook request to ``url`` (the public URL) with ``params``."""
        return self._validator.compute_signature(url, params)

    # ----- status callbacks -----

    def send_status(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        *,
        url: str | None = None,
        signed_url: str | None = None,
        bad_signature: bool = False,
        timeout: float = 5.0,
    ) -> Callback:
        """POST a status update for ``sid`` to its StatusCallback (or ``url``), signed like Twilio does, and wait.

        Any order is allowed (e.g. "read" before "delivered"); the stored message takes the new status.
        ``signed_url``: the URL the signature is computed over, if not the one posted to (a public URL behind a
        proxy). ``bad_signature``: sign with a wrong token."""
        assert self._loop is not None, "server not running"
        future = asyncio.run_coroutine_threadsafe(
            self._send_status(sid, status, error_code, url, signed_url, bad_signature), self._loop
        )
        return future.result(timeout)

    def _status_params(self, message: dict[str, Any], status: str, error_code: int | None) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message["to"],
            "From": message["from"] or "",
        }
        # Twilio signs what it sends, blank values too: a message sent without a service has an empty one.
        params["MessagingServiceSid"] = message["messaging_service_sid"] or ""
        if message["to"].startswith("whatsapp:"):
            params["ChannelPrefix"] = "whatsapp"
            params["ChannelToAddress"] = message["to"].removeprefix("whatsapp:")
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    async def _send_status(
        self,
        sid: str,
        status: str,
        error_code: int | None,
        url: str | None,
        signed_url: str | None,
        bad_signature: bool,
    ) -> Callback:
        with self._lock:
            message = self._messages[sid]
            now = datetime.now(UTC)
            message["status"] = status
            message["date_updated"] = rfc2822(now)
            if status in {"sent", "delivered", "read"} and not message["date_sent"]:
                message["date_sent"] = rfc2822(now)
                message["price"] = f"-{0.0079 * int(message['num_segments']):.5f}"
            if error_code is not None:
                message["error_code"] = error_code
                message["error_message"] = None
            target = url or self._callback_urls.get(sid)
            params = self._status_params(message, status, error_code)
        if not target:
            raise ValueError(f"message {sid} has no StatusCallback and no url was given")
        validator = RequestValidator(self.auth_token + "x") if bad_signature else self._validator
        headers = {
            "X-Twilio-Signature": validator.compute_signature(signed_url or target, params),
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": secrets.token_hex(16),
        }
        assert self._session is not None
        result = Callback(time.time(), target, params, headers, None)
        try:
            async with self._session.post(target, data=params, headers=headers) as response:
                await response.read()
                result.status = response.status
        except Exception as exc:  # recorded, not raised: Twilio just logs a failed webhook
            result.error = repr(exc)
        with self._lock:
            self._callbacks.append(result)
        return result

    # ----- HTTP -----

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        prefix = f"/{API_VERSION}/Accounts/{{account}}"
        app.router.add_post(prefix + "/Messages.json", self._create)
        app.router.add_get(prefix + "/Messages.json", self._list)
        app.router.add_get(prefix + "/Messages/{sid}.json", self._fetch)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)} if request.can_read_body else {}
        record = RecordedRequest(
            time.time(), request.method, request.path, dict(request.query), form, dict(request.headers)
        )
        with self._lock:
            self._requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            problem = self._check_auth(request)
            response = problem or await handler(request)
            record.status = response.status
            return response
        finally:
            with self._lock:
                self._in_flight -= 1

    def _check_auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        ok = False
        if header.startswith("Basic "):
            with contextlib.suppress(ValueError):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                ok = secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(
                    password, self.auth_token
                )
        if not ok:
            response = self._error(401, 20003, "Authenticate")
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if request.match_info.get("account") != self.account_sid:
            return self._error(403, 20003, "Authenticate")  # Twilio answers 403/401 for someone else's account
        return None

    @staticmethod
    def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(error_body(status, code, message), status=status, headers=headers)

    def _validate(self, form: dict[str, str]) -> tuple[int, int, str] | None:
        to, from_, service = form.get("To", ""), form.get("From", ""), form.get("MessagingServiceSid", "")
        body, content_sid = form.get("Body", ""), form.get("ContentSid", "")
        if not to:
            return 400, 21604, "A 'To' phone number is required."
        whatsapp = to.startswith("whatsapp:")
        if not E164.match(to.removeprefix("whatsapp:")):
            return 400, 21211, f"Invalid 'To' Phone Number: {to}"
        if not from_ and not service:
            return 400, 21603, "A 'From' phone number is required."
        if from_ and not (E164.match(from_.removeprefix("whatsapp:")) or re.fullmatch(r"[A-Za-z0-9 ]{1,11}", from_)):
            return 400, 21212, f"Invalid From Number (caller ID): {from_}"
        if from_ and whatsapp != from_.startswith("whatsapp:"):
            return 400, 21910, "Invalid From and To pair. From and To should be of the same channel"
        if service and not SERVICE_SID.match(service):
            return 400, 21701, f"The Messaging Service Sid {service} is invalid."
        if not body and not content_sid and not form.get("MediaUrl"):
            return 400, 21602, "Message body is required."
        if len(body) > 1600:
            return 400, 21617, "The concatenated message body exceeds the 1600 character limit."
        if content_sid:
            if not CONTENT_SID.match(content_sid) or (self.templates and content_sid not in self.templates):
                return 400, 21655, "The ContentSid is Invalid."
            raw = form.get("ContentVariables")
            if raw is not None:
                try:
                    variables = json.loads(raw)
                except ValueError:
                    return 400, 21656, "The ContentVariables Parameter is invalid. It must be a JSON object."
                if not isinstance(variables, dict):
                    return 400, 21656, "The ContentVariables Parameter is invalid. It must be a JSON object."
                empty = [k for k, v in variables.items() if v is None or (isinstance(v, str) and not v.strip())]
                if empty:
                    return 400, 21656, f"The ContentVariables Parameter is invalid: empty value for {empty[0]!r}."
        callback = form.get("StatusCallback")
        if callback and urlparse(callback).scheme not in {"http", "https"}:
            return 400, 21609, "Invalid StatusCallback URL."
        bare = to.removeprefix("whatsapp:")
        if to in self.opted_out or bare in self.opted_out:
            return 400, 21610, "Attempt to send to unsubscribed recipient"
        return None

    def _rate_limited(self, sender: str) -> bool:
        if self.rate_limit is None:
            return False
        now = time.monotonic()
        window = self._sent_by_sender.setdefault(sender, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.rate_limit:
            return True
        window.append(now)
        return False

    def _build(self, form: dict[str, str]) -> tuple[dict[str, Any], int | None]:
        now = datetime.now(UTC)
        sid = new_sid("SM")
        to, from_ = form["To"], form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        whatsapp = to.startswith("whatsapp:")
        body, later_failure = form.get("Body", ""), None
        if form.get("ContentSid"):
            variables = json.loads(form.get("ContentVariables") or "{}")
            template = self.templates.get(form["ContentSid"])
            if template is not None:
                wanted = set(PLACEHOLDER.findall(template))
                if wanted != set(variables):
                    later_failure = 63028
                body = PLACEHOLDER.sub(lambda m: str(variables.get(m.group(1), m.group(0))), template)
        elif whatsapp and to not in self.whatsapp_sessions:
            later_failure = 63016  # free-form WhatsApp outside the 24-hour window
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": rfc2822(now),
            "date_sent": None,
            "date_updated": rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1" if whatsapp else str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": to,
            "uri": uri,
        }
        return message, later_failure

    async def _create(self, request: web.Request) -> web.StreamResponse:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault and not fault.accept:  # refused before Twilio looked at it: nothing is created
            return await self._apply_fault(request, fault, None)
        problem = self._validate(form)
        if problem:
            return self._error(*problem)
        if not fault:
            with self._lock:
                limited = self._rate_limited(form.get("From") or form.get("MessagingServiceSid", ""))
            if limited:
                return self._error(429, 20429, "Too Many Requests")
        message, later_failure = self._build(form)
        with self._lock:
            self._messages[message["sid"]] = message
            if form.get("StatusCallback"):
                self._callback_urls[message["sid"]] = form["StatusCallback"]
            answer = dict(message)
        self._schedule_statuses(message["sid"], later_failure)
        if fault:  # accepted, but the client is not told so
            return await self._apply_fault(request, fault, answer)
        return web.json_response(answer, status=201)

    async def _apply_fault(
        self, request: web.Request, fault: _Fault, answer: dict[str, Any] | None
    ) -> web.StreamResponse:
        if fault.kind == "error":
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            return self._error(fault.status, fault.code, fault.message, headers)
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # nothing more to say on a dead connection
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), fault.hang)
        if answer is None:
            return self._error(504, 20504, "Gateway Timeout")
        return web.json_response(answer, status=201)

    def _schedule_statuses(self, sid: str, later_failure: int | None) -> None:
        with self._lock:
            has_callback = sid in self._callback_urls
        if not has_callback:
            if later_failure is not None:  # no callback: still fail it, so a fetch shows it
                with self._lock:
                    self._messages[sid].update(status="failed", error_code=later_failure)
            return
        if later_failure is not None:
            plan: list[tuple[str, int | None]] = [("failed", later_failure)]
        elif self.auto_statuses:
            plan = [(status, None) for status in self.auto_statuses]
        else:
            return

        async def run() -> None:
            for status, code in plan:
                await self._send_status(sid, status, code, None, None, False)

        assert self._loop is not None
        self._loop.create_task(run())

    async def _fetch(self, request: web.Request) -> web.Response:
        with self._lock:
            message = self._messages.get(request.match_info["sid"])
            answer = dict(message) if message else None
        if answer is None:
            return self._error(404, 20404, f"The requested resource {request.path} was not found")
        return web.json_response(answer)

    async def _list(self, request: web.Request) -> web.Response:
        query = request.query
        with self._lock:
            rows = [dict(m) for m in reversed(self._messages.values())]  # newest first, like Twilio
        if "To" in query:
            rows = [m for m in rows if m["to"] == query["To"]]
        if "From" in query:
            rows = [m for m in rows if m["from"] == query["From"]]

        def day(m: dict[str, Any]) -> str:  # date_sent, or date_created while not yet sent
            raw = m["date_sent"] or m["date_created"]
            return datetime.strptime(raw, "%a, %d %b %Y %H:%M:%S %z").strftime("%Y-%m-%d")

        for key, keep in (
            ("DateSent", lambda d, v: d == v),
            ("DateSent<", lambda d, v: d <= v),
            ("DateSent>", lambda d, v: d >= v),
        ):
            if key in query:
                value = query[key][:10]
                rows = [m for m in rows if keep(day(m), value)]
        try:
            size = max(1, min(1000, int(query.get("PageSize", "50"))))
            page = max(0, int(query.get("Page", "0")))
        except ValueError:
            return self._error(400, 20001, "Invalid paging parameter")
        chunk = rows[page * size : (page + 1) * size]
        base = request.path
        params = {k: v for k, v in query.items() if k not in {"Page", "PageSize", "PageToken"}}

        def page_uri(number: int) -> str:
            return f"{base}?{urlencode({**params, 'PageSize': size, 'Page': number})}"

        more = (page + 1) * size < len(rows)
        return web.json_response(
            {
                "end": page * size + max(0, len(chunk) - 1),
                "first_page_uri": page_uri(0),
                "messages": chunk,
                "next_page_uri": page_uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": page_uri(page - 1) if page else None,
                "start": page * size,
                "uri": page_uri(page),
            }
        )


def point_at(client: Client, base_url: str) -> Client:
    """Make a real twilio ``Client`` send its 2010-04-01 API calls (messages...) to ``base_url``."""
    if client.edge or client.region:
        raise ValueError("unset edge/region: they rewrite the host to api.{edge}.{region}.twilio.com")
    client.api.base_url = base_url
    return client


class RedirectingHttpClient(TwilioHttpClient):
    """``TwilioHttpClient`` that sends requests meant for https://api.twilio.com to ``base_url``."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class AsyncRedirectingHttpClient(AsyncTwilioHttpClient):
    """``AsyncTwilioHttpClient`` that sends requests meant for https://api.twilio.com to ``base_url``."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return await super().request(method, url, *args, **kwargs)


@contextlib.contextmanager
def running_twilio(
    account_sid: str | None = None,
    auth_token: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    opted_out: Iterable[str] = (),
    **knobs: Any,
) -> Iterator[TwilioLoopback]:
    """Run a ``TwilioLoopback`` on ``host:port`` (0: a free port) in a background thread."""
    server = TwilioLoopback(
        account_sid or new_sid("AC"), auth_token or secrets.token_hex(16), opted_out=set(opted_out), **knobs
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Event | None = None
    failure: list[BaseException] = []

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        server._loop, server._closing = loop, asyncio.Event()
        server._session = ClientSession(timeout=ClientTimeout(total=5))
        runner = web.AppRunner(server._app(), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0]
        server.base_url = f"http://{bound[0]}:{bound[1]}"
        started.set()
        try:
            await stop.wait()
        finally:
            server._closing.set()
            await server._session.close()
            await runner.cleanup()

    def main() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:
            failure.append(exc)
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=main, name="twilio-loopback", daemon=True)
    thread.start()
    started.wait(10)
    if failure:
        raise RuntimeError("twilio loopback did not start") from failure[0]
    try:
        yield server
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


@dataclass
class Webhook:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class WebhookSink:
    """Receives status callbacks (stand-in for the app's webhook) and records them."""

    url: str
    received: list[Webhook] = field(default_factory=list)
    status: int = 200  # what to answer


@contextlib.contextmanager
def running_webhook_sink(path: str = "/twilio/status") -> Iterator[WebhookSink]:
    """A plain HTTP server on loopback recording POSTs (form data + headers), answering ``sink.status``."""
    sink: WebhookSink

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            sink.received.append(Webhook(self.path, params, dict(self.headers.items())))
            self.send_response(sink.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink = WebhookSink(f"http://127.0.0.1:{httpd.server_address[1]}{path}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
