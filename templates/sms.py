"""How many segments an SMS text costs (3GPP TS 23.038).

A text written only with the GSM-7 alphabet goes as GSM-7: 160 septets in one segment,
153 per segment when it needs more (the rest is the concatenation header). A character of
the extension table (``€ [ ] { } | ^ ~ \\`` and form feed) takes two septets, and is never
split across segments. One character outside both tables (``á í ó ú``, an emoji, a no-break
space) sends the whole text as UCS-2: 70 UTF-16 code units in one segment, 67 per segment
when it needs more; a surrogate pair (most emoji) is never split either.
"""

from __future__ import annotations

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# The default alphabet, in table order (0x1B, the escape to the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {GSM7: 160, UCS2: 70}
_CONCATENATED = {GSM7: 153, UCS2: 67}


def _units(text: str) -> tuple[str, list[int]]:
    """The encoding and what each character costs in it (septets, or UTF-16 code units)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return GSM7, [2 if char in GSM7_EXTENSION else 1 for char in text]
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_segments(text: str) -> tuple[str, int]:
    """The encoding ("GSM-7" or "UCS-2") and the number of segments ``text`` is sent in.

    An empty text is no segment at all (nothing would be sent)."""
    encoding, units = _units(text)
    if sum(units) <= _SINGLE[encoding]:
        return encoding, 1 if units else 0
    size, segments, used = _CONCATENATED[encoding], 1, 0
    for cost in units:
        if used + cost > size:
            segments, used = segments + 1, 0
        used += cost
    return encoding, segments


def sms_length(text: str) -> int:
    """The length of ``text`` in its encoding's units (septets, or UTF-16 code units)."""
    return sum(_units(text)[1])
