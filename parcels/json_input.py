"""JSON from outside, read so that one bad value spoils only the record holding it.

Every value that cannot be read is kept in its place as :class:`parcels.text.Unreadable`: integers of
more than ``MAX_DIGITS`` digits (Python refuses to convert those beyond 4,300 digits), ``NaN`` and
infinities, containers nested deeper than ``MAX_DEPTH``, strings (and object keys) holding a NUL,
another control character or a lone UTF-16 surrogate. The validators then refuse that record alone.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from parcels.text import Unreadable, bad_character

MAX_DIGITS = 40
MAX_DEPTH = 32

# Strings (with their escapes) and brackets: enough to follow the nesting without parsing.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_TOO_DEEP = '{"\\u0000too deep": true}'
_TOO_DEEP_KEY = "\x00too deep"
TOO_DEEP = Unreadable(f"is nested more than {MAX_DEPTH} levels deep")


class BadJson(ValueError):
    """The text as a whole is not JSON that can be read; the message says why."""


def _integer(text: str) -> int | Unreadable:
    digits = len(text.lstrip("-"))
    return int(text) if digits <= MAX_DIGITS else Unreadable(f"is a number of {digits:,} digits")


def _constant(name: str) -> Unreadable:
    return Unreadable(f"is {name}, not a number JSON allows")


def _parse(text: str) -> Any:
    return json.loads(text, parse_int=_integer, parse_constant=_constant)


def _cut_deep(text: str, depth_limit: int) -> str:
    """``text`` with every container opened deeper than ``depth_limit`` replaced by a marker object."""
    pieces: list[str] = []
    depth, kept, cut_from = 0, 0, -1
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth == depth_limit + 1:
                cut_from = token.start()
        elif mark in "]}":
            if depth == depth_limit + 1 and cut_from >= 0:
                pieces += [text[kept:cut_from], _TOO_DEEP]
                kept, cut_from = token.end(), -1
            depth -= 1
    pieces.append(text[kept:])
    return "".join(pieces)


def _checked(value: Any, depth: int = 0) -> Any:
    """The parsed value with what cannot be read replaced (containers are rebuilt; recursion is bounded)."""
    if isinstance(value, str):
        problem = bad_character(value)
        return value if problem is None else Unreadable(problem)
    if isinstance(value, float) and not math.isfinite(value):
        return Unreadable("is a number too large")
    if isinstance(value, list):
        return TOO_DEEP if depth >= MAX_DEPTH else [_checked(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if depth >= MAX_DEPTH or _TOO_DEEP_KEY in value:
            return TOO_DEEP
        for key in value:
            if (problem := bad_character(key)) is not None:
                return Unreadable(f"has a field name that {problem}")
        return {key: _checked(item, depth + 1) for key, item in value.items()}
    return value


def loads(text: str) -> Any:
    """The JSON in ``text``, read as described above; raises BadJson."""
    try:
        try:
            parsed = _parse(text)
        except RecursionError:  # nested deeper than the parser goes: cut the deep parts first
            parsed = _parse(_cut_deep(text, MAX_DEPTH))
    except json.JSONDecodeError as error:
        raise BadJson(f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except (RecursionError, ValueError) as error:
        raise BadJson(f"not JSON that can be read: {error}") from None
    return _checked(parsed)
