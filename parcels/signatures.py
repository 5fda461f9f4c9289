"""Proofs that only our own channel connectors (in the Rasa server) and the web app can make: the twin of
``bot/identity.py``, which cannot import this package. ``tests/unit/security/test_signatures.py`` checks that
the two agree.

- ``CHAT_SESSION``: a web chat conversation id we issued (``web-…`` by the socket.io channel, ``inbox-…``
  by the web inbox), shared secret ``CHAT_SESSION_SECRET``;
- ``WHATSAPP_SENDER``: a message the WhatsApp connector received with a valid Twilio signature, naming
  its sender and MessageSid, shared secret ``CHANNEL_IDENTITY_SECRET``.
"""

from __future__ import annotations

import hashlib
import hmac

CHAT_SESSION = "chat-session"
WHATSAPP_SENDER = "whatsapp-sender"


def sign(secret: str, purpose: str, *parts: str) -> str:
    if any("\n" in part for part in (purpose, *parts)):
        raise ValueError("a signed part cannot hold a line break")
    message = "\n".join((purpose, *parts)).encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()


def verify(secret: str | None, proof: object, purpose: str, *parts: str) -> bool:
    if not secret or not isinstance(proof, str) or not proof.isascii() or any("\n" in part for part in parts):
        return False  # a proof is hex: anything else is not one (and compare_digest refuses non-ASCII text)
    return hmac.compare_digest(proof, sign(secret, purpose, *parts))
