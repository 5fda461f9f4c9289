"""Text from outside, checked before it is matched or stored.

A lone UTF-16 surrogate cannot be stored (UTF-8 has no form for it) and a NUL is refused by
PostgreSQL; other control characters are never what a person meant. A value that could not be
read as what it claims to be (a number of thousands of digits, a structure nested without end)
arrives as :class:`Unreadable`, so that the record holding it is refused alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# C0 controls but tab, line feed and carriage return; DEL; the surrogates.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A value that could not be read, and why (``"is a number of 5,000 digits"``)."""

    reason: str


def bad_character(text: str) -> str | None:
    """What is wrong with ``text`` as text (``"holds a NUL character"``), or None when nothing is."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "holds a NUL character"
    if 0xD800 <= code <= 0xDFFF:
        return f"holds a lone UTF-16 surrogate (U+{code:04X})"
    return f"holds a control character (U+{code:04X})"
