"""Sentences the channels say themselves (an opt-out's confirmation, "the assistant is unavailable"), read from
the loaded model's domain: every sentence a customer reads lives in domain.yml or templates/."""

from typing import Any, Optional, Text

UNAVAILABLE = "utter_assistant_unavailable"


def domain_text(agent: Any, response: Text, language: Optional[Text]) -> Text:
    """The ``response``'s variation for ``language`` (its ``language`` slot condition), else its plain one."""
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
