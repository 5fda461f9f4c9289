"""Proofs that only our own channel connectors can make, checked by the action server and the web app.

The connectors run in the Rasa server's environment and cannot import the app's code, so this module
(standard library only) has a twin in ``parcels/signatures.py``;
``tests/unit/security/test_signatures.py`` checks that the two agree. A proof is an HMAC-SHA256 of its
purpose and its parts, joined by newlines (which no part may hold), under a secret the processes share
through the environment.
"""

import hashlib
import hmac
from typing import Text

CHAT_SESSION = "chat-session"  # a web chat conversation id the socket.io channel (or web's inbox) issued
WHATSAPP_SENDER = "whatsapp-sender"  # a WhatsApp message the connector received signed by Twilio


def sign(secret: Text, purpose: Text, *parts: Text) -> Text:
    if any("\n" in part for part in (purpose, *parts)):
        raise ValueError("a signed part cannot hold a line break")
    message = "\n".join((purpose, *parts)).encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()


def verify(secret: Text, proof: object, purpose: Text, *parts: Text) -> bool:
    if not secret or not isinstance(proof, str) or not proof.isascii() or any("\n" in part for part in parts):
        return False  # a proof is hex: anything else is not one (and compare_digest refuses non-ASCII text)
    return hmac.compare_digest(proof, sign(secret, purpose, *parts))
