"""What every channel does to a shopper's message before the assistant reads it.

- A leading ``/`` is dropped: Rasa reads ``/intent{...}`` as an intent with entities, skipping the NLU, and
  a shopper must not be able to choose their own intent.
- A message longer than ``MAX_MESSAGE_CHARS`` (Twilio's own limit for one message) never reaches the NLU,
  whose cost grows faster than the message: the assistant gets ``/nlu_fallback`` (a default intent, so no
  training data) with ``refused: too_long`` and an excerpt in the metadata, and asks for a shorter message
  in the conversation's language. Media without text is refused the same way (``refused: media``).
"""

from typing import Any, Dict, Optional, Text, Tuple

MAX_MESSAGE_CHARS = 1600
EXCERPT_CHARS = 280  # what the agents' transcript shows of a refused message
REFUSED_MESSAGE = "/nlu_fallback"
TOO_LONG = "too_long"
MEDIA = "media"


def refused(reason: Text, text: Text = "", metadata: Optional[Dict[Text, Any]] = None) -> Tuple[Text, Dict[Text, Any]]:
    """The message the assistant gets instead of one it will not read, and its metadata."""
    kept = {**(metadata or {}), "refused": reason, "length": len(text), "excerpt": text[:EXCERPT_CHARS]}
    return REFUSED_MESSAGE, kept


def screened(text: object, metadata: Optional[Dict[Text, Any]] = None) -> Tuple[Text, Dict[Text, Any]]:
    """The text the assistant reads of a shopper's message, and its metadata."""
    text = (text if isinstance(text, str) else "").strip().lstrip("/").lstrip()
    if len(text) > MAX_MESSAGE_CHARS:
        return refused(TOO_LONG, text, metadata)
    return text, dict(metadata or {})
