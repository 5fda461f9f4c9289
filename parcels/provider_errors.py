"""Twilio's error codes in words, for the people who read why a message did not go through (the console, the
dashboard). Codes not listed are named by their number."""

from __future__ import annotations

import re

WORDS = {
    21211: "the phone number is not valid",
    21408: "the destination is not enabled for this account",
    21610: "the recipient opted out (STOP)",
    21614: "the number cannot receive SMS",
    21656: "the template variables are invalid",
    30003: "the phone is off or out of coverage",
    30004: "the recipient blocked our messages",
    30005: "the number does not exist",
    30006: "a landline, or a network that cannot receive messages",
    30007: "the carrier filtered the message as spam",
    30008: "the carrier gave no reason",
    63003: "the number is not on WhatsApp",
    63016: "no open WhatsApp conversation and no approved template",
    63024: "WhatsApp refused the recipient",
    63028: "the template's variables do not match the approved template",
    63032: "the recipient cannot get messages from businesses",
}
_CODE = re.compile(r"\b(?:Twilio error |error )?(\d{5})\b")


def in_words(reason: str) -> str:
    """A failure reason as people read it: a Twilio code becomes its meaning, other reasons stay as written."""
    match = _CODE.search(reason)
    if match is None:
        return reason or "no reason recorded"
    code = int(match.group(1))
    return WORDS.get(code, f"Twilio error {code}") + f" ({code})"
