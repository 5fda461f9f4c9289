"""The web chat's socket.io channel: Rasa's own, except that the conversation a browser speaks in is one we
issued, never one it names.

- ``session_request`` with no (or a wrongly signed) ``session_id`` gets a new conversation ``web-<32 hex>``
  and its ``session_token`` (an HMAC under ``CHAT_SESSION_SECRET``, see ``bot.identity``); the page keeps
  both and sends them again to continue after a reload. The web inbox hands out the token of its own
  ``inbox-<key>`` conversation the same way. ``session_confirm`` answers ``{session_id, session_token}``.
- Every ``user_uttered`` is spoken in the conversation bound to that socket by its ``session_request``;
  the ``session_id`` a message carries is ignored. Of the metadata only ``language`` is kept, and the text
  is screened (``bot.screening``); a frame larger than ``MAX_FRAME`` bytes closes the socket.

Without ``CHAT_SESSION_SECRET`` every page load starts a new conversation (and the channel says so once).
With ``REDIS_URL`` several Rasa servers share their emits through Redis (python-socketio's Redis manager),
behind an entry point that keeps each socket on one server.
"""

import logging
import os
import re
import secrets
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot import identity
from bot.responses import UNAVAILABLE, domain_text
from bot.screening import screened

logger = logging.getLogger(__name__)

MAX_FRAME = 256 * 1024  # bytes of one socket.io message: a long paste is answered; a larger frame closes the socket
CONVERSATION = re.compile(r"(web|inbox)-[0-9a-f]{32}")
LANGUAGE = re.compile(r"[A-Za-z]{2}(-[A-Za-z]{2})?")


class SignedSocketIOInput(InputChannel):
    """``bot.socketio.SignedSocketIOInput`` in credentials.yml; socket.io at ``/socket.io``."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            session_secret=credentials.get("session_secret") or os.environ.get("CHAT_SESSION_SECRET") or "",
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        socketio_path: Text = "/socket.io",
        session_secret: Text = "",
    ) -> None:
        self.user_message_evt, self.bot_message_evt = user_message_evt, bot_message_evt
        self.socketio_path = socketio_path
        if not session_secret:
            logger.warning("socketio channel: no CHAT_SESSION_SECRET; a reloaded page starts a new conversation")
        self.session_secret = session_secret or secrets.token_hex(32)
        self.sio: Optional[AsyncServer] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages sent outside a turn (an agent's, a notification's): emitted to the conversation's room."""
        return None if self.sio is None else SocketIOOutput(self.sio, self.bot_message_evt)

    def issued(self, conversation: object, token: object) -> bool:
        """Whether ``conversation`` is one we issued and ``token`` its proof."""
        return (
            isinstance(conversation, str)
            and CONVERSATION.fullmatch(conversation) is not None
            and identity.verify(self.session_secret, token, identity.CHAT_SESSION, conversation)
        )

    def new_conversation(self) -> Dict[Text, Text]:
        conversation = f"web-{uuid.uuid4().hex}"
        token = identity.sign(self.session_secret, identity.CHAT_SESSION, conversation)
        return {"session_id": conversation, "session_token": token}

    @staticmethod
    def client_manager() -> Optional[AsyncRedisManager]:
        """With ``REDIS_URL``, every Rasa server's emits go through Redis: a message written into a conversation on
        one server (an agent's, a notification's) reaches the shopper's socket on whichever server holds it."""
        url = os.environ.get("REDIS_URL")
        if not url:
            return None
        logger.info("socketio: emits shared through Redis at %s", url.split("@")[-1])
        return AsyncRedisManager(url, channel=os.environ.get("SOCKETIO_REDIS_CHANNEL", "web-chat"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=MAX_FRAME,
            client_manager=self.client_manager(),
        )
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request")
        async def session_request(sid: Text, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            wanted, token = data.get("session_id"), data.get("session_token")
            if self.issued(wanted, token):
                session = {"session_id": wanted, "session_token": token}
            else:
                if wanted:
                    logger.info("socketio: %s asked for a conversation we did not issue it; gave it a new one", sid)
                session = self.new_conversation()
            await sio.save_session(sid, {"conversation": session["session_id"]})
            sio.enter_room(sid, session["session_id"])
            await sio.emit("session_confirm", session, room=sid, ignore_queue=True)  # its own socket: not via Redis

        @sio.on(self.user_message_evt)
        async def handle_message(sid: Text, data: Any) -> None:
            conversation = (await sio.get_session(sid)).get("conversation")
            if not conversation:
                logger.info("socketio: %s sent a message before asking for a session; ignored", sid)
                return
            data = data if isinstance(data, dict) else {}
            metadata = data.get("metadata")
            language = metadata.get("language") if isinstance(metadata, dict) else None
            kept = {"language": language} if isinstance(language, str) and LANGUAGE.fullmatch(language) else {}
            text, kept = screened(data.get("message"), kept)
            output = SocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(text, output, conversation, input_channel=self.name(), metadata=kept))
            except Exception:  # a lock store or tracker store that is down: the shopper is told, not left waiting
                logger.exception("socketio: handling a message in %s failed", conversation)
                agent = getattr(Sanic.get_app().ctx, "agent", None)
                sorry = domain_text(agent, UNAVAILABLE, (kept.get("language") or "es")[:2])
                await sio.emit(self.bot_message_evt, {"text": sorry, "unavailable": True}, room=sid, ignore_queue=True)

        return socketio_webhook
