"""The budget of one render: its ceilings, its wall-clock deadline and the steps it has taken.

Templates are written by marketers and stored in the database, so every render is *bounded*: ranges,
string and list sizes, integer sizes, exponents, loop iterations, macro nesting, the rendered length and
the wall-clock time all have a ceiling, and going over one raises :class:`UnsafeTemplate` (a Jinja
``SecurityError``) instead of hanging or eating the memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jinja2.exceptions import SecurityError

_T = TypeVar("_T")

# The ceilings of one render. A real message uses a tiny fraction of each.
MAX_RANGE = 1_000  # items in range()
MAX_OUTPUT = 20_000  # characters of a rendering (and of any block or macro inside it)
MAX_SEQUENCE = 20_000  # length of a string, list or tuple made by an operator, filter or method
MAX_INT_BITS = 4_096  # size of an integer made by * or **
MAX_EXPONENT = 1_000  # magnitude of the right side of **
MAX_STEPS = 20_000  # loop iterations + calls + intercepted operators
MAX_DEPTH = 30  # macros and recursive loops calling themselves
MAX_SECONDS = 1.0  # wall-clock time of one render, or of all the renders inside one time_budget()
TOO_SLOW = f"the template takes too long to render: more than {MAX_SECONDS:g} s"


class UnsafeTemplate(SecurityError):
    """A template asked for more work than a message may take, or for something it may not do."""


_DEADLINE: ContextVar[float | None] = ContextVar("template_deadline", default=None)


@contextmanager
def time_budget(seconds: float | None = None) -> Iterator[None]:
    """Every render inside shares one deadline, ``seconds`` (default MAX_SECONDS) from now, or an outer budget's
    if sooner: a preview or a validation that renders many samples gets one budget in all, not one per sample."""
    deadline = time.monotonic() + (MAX_SECONDS if seconds is None else seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def out_of_time() -> bool:
    """Whether the surrounding time budget (if any) is spent."""
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() >= deadline


def _render_deadline() -> float:
    own = time.monotonic() + MAX_SECONDS
    shared = _DEADLINE.get()
    return own if shared is None else min(own, shared)


@dataclass
class Budget:
    steps: int = 0
    depth: int = 0
    deadline: float = field(default_factory=_render_deadline)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise UnsafeTemplate(f"the template does too much work: more than {MAX_STEPS:,} loop steps and calls")
        if time.monotonic() > self.deadline:
            raise UnsafeTemplate(TOO_SLOW)


CURRENT_BUDGET: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


def tick() -> Budget | None:
    budget = CURRENT_BUDGET.get()
    if budget is not None:
        budget.tick()
    return budget


def too_long(what: str, length: int, limit: int = MAX_SEQUENCE) -> UnsafeTemplate:
    return UnsafeTemplate(f"{what} would be {length:,} long; the limit is {limit:,}")


def checked(value: _T) -> _T:
    """Refuse a string, list or tuple longer than MAX_SEQUENCE."""
    if isinstance(value, str | list | tuple | dict | set) and len(value) > MAX_SEQUENCE:
        raise too_long(f"a {type(value).__name__}", len(value))
    return value


def checked_int(name: str, value: Any, limit: int = MAX_SEQUENCE) -> None:
    if isinstance(value, int) and abs(value) > limit:
        raise UnsafeTemplate(f"{name} {value:,} is too big; the limit is {limit:,}")


def bounded_range(*args: int) -> range:
    """range() of at most MAX_RANGE items."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise UnsafeTemplate(f"range() of {len(numbers):,} items; the limit is {MAX_RANGE:,}")
    return numbers


def bounded_concat(parts: Iterable[str]) -> str:
    """The environment's concat: joins a rendering (or a block's, a macro's) and stops at MAX_OUTPUT characters."""
    pieces: list[str] = []
    total = 0
    for part in parts:
        total += len(part)
        if total > MAX_OUTPUT:
            raise UnsafeTemplate(f"the rendered text is longer than {MAX_OUTPUT:,} characters")
        pieces.append(part)
    return "".join(pieces)


def bounded_items(iterable: Any) -> Iterator[Any]:
    """Every loop iterates through this: each item costs a step of the render's budget."""
    for item in iterable:
        tick()
        yield item
