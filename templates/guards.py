"""Operators, filters and methods that could build something huge from something small, checked before they run."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from jinja2.runtime import Undefined

from templates.budget import (
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_SEQUENCE,
    UnsafeTemplate,
    bounded_items,
    checked,
    checked_int,
    too_long,
)

# printf-style conversions: %(name)-10.3f
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


def _check_printf(fmt: str) -> None:
    for match in _PRINTF.finditer(fmt):
        for number in match.groups():
            if number == "*":
                raise UnsafeTemplate("a '*' width or precision in a % format is not allowed")
            if number:
                checked_int("a width or precision of", int(number))


def check_format_string(fmt: str) -> None:
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise UnsafeTemplate("a nested width or precision in a format string is not allowed")
        for number in re.findall(r"\d+", spec or ""):
            checked_int("a width or precision of", int(number))


# ---------------------------------------------------------------------------------------------------------------------
# Operators


def _add(left: Any, right: Any) -> Any:
    sequences = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
    if sequences and len(left) + len(right) > MAX_SEQUENCE:
        raise too_long(f"a {type(left).__name__}", len(left) + len(right))
    return left + right


def _multiply(left: Any, right: Any) -> Any:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_SEQUENCE:
            raise too_long(f"a {type(sequence).__name__} repeated {times:,} times", len(sequence) * times)
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise UnsafeTemplate(f"a product of more than {MAX_INT_BITS:,} bits is too big")
    return left * right


def _power(left: Any, right: Any) -> Any:
    too_big = isinstance(right, int | float | Decimal) and (right > MAX_EXPONENT or right < -MAX_EXPONENT)
    if too_big and left not in (0, 1, -1):
        raise UnsafeTemplate(f"an exponent of {right:,} is too big; the limit is {MAX_EXPONENT:,}")
    if isinstance(left, int) and isinstance(right, int) and right > 0 and left.bit_length() * right > MAX_INT_BITS:
        raise UnsafeTemplate(f"a power of more than {MAX_INT_BITS:,} bits is too big")
    return left**right


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _check_printf(left)
    return checked(left % right)


BINOPS: dict[str, Callable[[Any, Any], Any]] = {"+": _add, "*": _multiply, "**": _power, "%": _modulo}


# ---------------------------------------------------------------------------------------------------------------------
# Filters and methods that can make long strings from short ones


def _precheck_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse arguments that would make a filter build something huge; returns the (possibly materialised) args."""
    value = args[0] if args else None

    def option(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "center":
        checked_int("a width of", option(1, "width", 80))
    elif name == "indent":
        width = option(1, "width", 4)
        pad = width if isinstance(width, int) else len(str(width))
        checked_int("a width of", pad)
        text = str(value)
        if len(text) + (text.count("\n") + 1) * pad > MAX_SEQUENCE:
            raise too_long("the indented text", len(text) + (text.count("\n") + 1) * pad)
    elif name == "format" and isinstance(value, str):
        _check_printf(value)
    elif name == "replace":
        _check_replace(str(value), str(option(1, "old", "")), str(option(2, "new", "")))
    elif name == "wordwrap":
        text, width, wrap = str(value), option(1, "width", 79), str(option(3, "wrapstring") or "\n")
        breaks = len(text) // max(int(width), 1) + text.count(" ") + text.count("\n") + 1
        if len(text) + breaks * len(wrap) > MAX_SEQUENCE:
            raise too_long("the wrapped text", len(text) + breaks * len(wrap))
    elif name in ("batch", "slice"):
        checked_int("a count of", option(1, "linecount" if name == "batch" else "slices", 0))
    elif name == "join" and value is not None and not isinstance(value, Undefined):
        items = list(bounded_items(value))
        separator = str(option(1, "d", ""))
        total = sum(len(str(item)) for item in items) + len(separator) * len(items)
        if total > MAX_SEQUENCE:
            raise too_long("the joined text", total)
        args = (items, *args[1:])
    elif name == "sum" and value is not None and not isinstance(value, Undefined):
        items = list(bounded_items(value))
        start = option(2, "start", 0)
        sized = [item for item in [start, *items] if isinstance(item, str | list | tuple)]
        if sum(len(item) for item in sized) > MAX_SEQUENCE:
            raise too_long("the sum", sum(len(item) for item in sized))
        args = (items, *args[1:])
    return args


def _check_replace(text: str, old: str, new: str) -> None:
    count = len(text) + 1 if old == "" else text.count(old)
    length = len(text) + count * (len(new) - len(old))
    if length > MAX_SEQUENCE:
        raise too_long("the replaced text", length)


def bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(function, "jinja_pass_arg", None)

    @wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        head, rest = (args[:1], args[1:]) if passes is not None else ((), args)
        rest = _precheck_filter(name, rest, kwargs)
        return checked(function(*head, *rest, **kwargs))

    return bounded


_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def precheck_method(obj: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name in _PADDING_METHODS:
        for argument in args:
            checked_int("a width of", argument)
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, str(args[0]), str(args[1]))
    elif name == "join" and args:
        items = list(bounded_items(args[0]))
        total = sum(len(str(item)) for item in items) + len(owner) * len(items)
        if total > MAX_SEQUENCE:
            raise too_long("the joined text", total)
        args = (items, *args[1:])
    return args
