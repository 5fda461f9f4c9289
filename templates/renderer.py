"""The one renderer for every sentence a customer reads.

A sandboxed Jinja2 environment with StrictUndefined: a template may format what it
is given, nothing more. Babel formats dates, times and money in the message's locale.

Templates are written by marketers and stored in the database, so the sandbox is also
*bounded*: ranges, string and list sizes, integer sizes, exponents, loop iterations,
macro nesting, the rendered length and the wall-clock time of one render all have a
ceiling, and going over one raises :class:`UnsafeTemplate` (a Jinja ``SecurityError``)
instead of hanging or eating the memory.

Published versions override the shipped files: :func:`set_source_provider` installs a
callable that :func:`render_message` asks first for the newest source of a message.
"""

from __future__ import annotations

import hashlib
import logging
import re
import string
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache, wraps
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency
from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    nodes,
    pass_context,
    select_autoescape,
)
from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent
CHANNELS = ("web", "whatsapp", "sms")
DEFAULT_LOCALE = "es"

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
COMPILED_CACHE_SIZE = 256  # templates compiled from sources (render_source), least recently used out


class MissingTemplate(LookupError):
    pass


class UnsafeTemplate(SecurityError):
    """A template asked for more work than a message may take, or for something it may not do."""


# ---------------------------------------------------------------------------------------------------------------------
# Babel filters


def _defined(value: Any) -> Any:
    """Filters see StrictUndefined before it fails: make it fail with the variable's name."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _locale(context: Context) -> str:
    locale: str = context.get("locale", DEFAULT_LOCALE)
    return locale


def _localised(value: datetime, context: Context, time_zone: str | None) -> datetime:
    zone = time_zone or context.get("time_zone")
    return value.astimezone(ZoneInfo(zone)) if zone else value


@pass_context
def _date_filter(context: Context, value: date | datetime, format: str = "long", time_zone: str | None = None) -> str:
    value = _defined(value)
    if isinstance(value, datetime):
        value = _localised(value, context, time_zone).date()
    return format_date(value, format=format, locale=_locale(context))


@pass_context
def _time_filter(context: Context, value: datetime, format: str = "short", time_zone: str | None = None) -> str:
    return format_time(_localised(_defined(value), context, time_zone), format=format, locale=_locale(context))


@pass_context
def _datetime_filter(context: Context, value: datetime, format: str = "long", time_zone: str | None = None) -> str:
    moment = _localised(_defined(value), context, time_zone)
    day = format_date(moment.date(), format=format, locale=_locale(context))
    return f"{day}, {format_time(moment, format='short', locale=_locale(context))}"


@pass_context
def _money_filter(context: Context, value: Decimal | int | str, currency: str = "EUR") -> str:
    return format_currency(Decimal(str(_defined(value))), currency, locale=_locale(context))


# ---------------------------------------------------------------------------------------------------------------------
# The budget of one render


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
class _Budget:
    steps: int = 0
    depth: int = 0
    deadline: float = field(default_factory=_render_deadline)

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise UnsafeTemplate(f"the template does too much work: more than {MAX_STEPS:,} loop steps and calls")
        if time.monotonic() > self.deadline:
            raise UnsafeTemplate(TOO_SLOW)


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _tick() -> _Budget | None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()
    return budget


def _too_long(what: str, length: int, limit: int = MAX_SEQUENCE) -> UnsafeTemplate:
    return UnsafeTemplate(f"{what} would be {length:,} long; the limit is {limit:,}")


def _checked(value: _T) -> _T:
    """Refuse a string, list or tuple longer than MAX_SEQUENCE."""
    if isinstance(value, str | list | tuple | dict | set) and len(value) > MAX_SEQUENCE:
        raise _too_long(f"a {type(value).__name__}", len(value))
    return value


def _checked_int(name: str, value: Any, limit: int = MAX_SEQUENCE) -> None:
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


def _bounded_items(iterable: Any) -> Iterator[Any]:
    """Every loop iterates through this: each item costs a step of the render's budget."""
    for item in iterable:
        _tick()
        yield item


# printf-style conversions: %(name)-10.3f
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")


def _check_printf(fmt: str) -> None:
    for match in _PRINTF.finditer(fmt):
        for number in match.groups():
            if number == "*":
                raise UnsafeTemplate("a '*' width or precision in a % format is not allowed")
            if number:
                _checked_int("a width or precision of", int(number))


def _check_format_string(fmt: str) -> None:
    for _, _, spec, _ in string.Formatter().parse(fmt):
        if spec and "{" in spec:
            raise UnsafeTemplate("a nested width or precision in a format string is not allowed")
        for number in re.findall(r"\d+", spec or ""):
            _checked_int("a width or precision of", int(number))


# ---------------------------------------------------------------------------------------------------------------------
# Operators


def _add(left: Any, right: Any) -> Any:
    sequences = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
    if sequences and len(left) + len(right) > MAX_SEQUENCE:
        raise _too_long(f"a {type(left).__name__}", len(left) + len(right))
    return left + right


def _multiply(left: Any, right: Any) -> Any:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > MAX_SEQUENCE:
            raise _too_long(f"a {type(sequence).__name__} repeated {times:,} times", len(sequence) * times)
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
    return _checked(left % right)


# ---------------------------------------------------------------------------------------------------------------------
# Filters and methods that can make long strings from short ones


def _precheck_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse arguments that would make a filter build something huge; returns the (possibly materialised) args."""
    value = args[0] if args else None

    def option(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "center":
        _checked_int("a width of", option(1, "width", 80))
    elif name == "indent":
        width = option(1, "width", 4)
        pad = width if isinstance(width, int) else len(str(width))
        _checked_int("a width of", pad)
        text = str(value)
        if len(text) + (text.count("\n") + 1) * pad > MAX_SEQUENCE:
            raise _too_long("the indented text", len(text) + (text.count("\n") + 1) * pad)
    elif name == "format" and isinstance(value, str):
        _check_printf(value)
    elif name == "replace":
        _check_replace(str(value), str(option(1, "old", "")), str(option(2, "new", "")))
    elif name == "wordwrap":
        text, width, wrap = str(value), option(1, "width", 79), str(option(3, "wrapstring") or "\n")
        breaks = len(text) // max(int(width), 1) + text.count(" ") + text.count("\n") + 1
        if len(text) + breaks * len(wrap) > MAX_SEQUENCE:
            raise _too_long("the wrapped text", len(text) + breaks * len(wrap))
    elif name in ("batch", "slice"):
        _checked_int("a count of", option(1, "linecount" if name == "batch" else "slices", 0))
    elif name == "join" and value is not None and not isinstance(value, Undefined):
        items = list(_bounded_items(value))
        separator = str(option(1, "d", ""))
        total = sum(len(str(item)) for item in items) + len(separator) * len(items)
        if total > MAX_SEQUENCE:
            raise _too_long("the joined text", total)
        args = (items, *args[1:])
    elif name == "sum" and value is not None and not isinstance(value, Undefined):
        items = list(_bounded_items(value))
        start = option(2, "start", 0)
        sized = [item for item in [start, *items] if isinstance(item, str | list | tuple)]
        if sum(len(item) for item in sized) > MAX_SEQUENCE:
            raise _too_long("the sum", sum(len(item) for item in sized))
        args = (items, *args[1:])
    return args


def _check_replace(text: str, old: str, new: str) -> None:
    count = len(text) + 1 if old == "" else text.count(old)
    length = len(text) + count * (len(new) - len(old))
    if length > MAX_SEQUENCE:
        raise _too_long("the replaced text", length)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes = getattr(function, "jinja_pass_arg", None)

    @wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        head, rest = (args[:1], args[1:]) if passes is not None else ((), args)
        rest = _precheck_filter(name, rest, kwargs)
        return _checked(function(*head, *rest, **kwargs))

    return bounded


_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _precheck_method(obj: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name in _PADDING_METHODS:
        for argument in args:
            _checked_int("a width of", argument)
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, str(args[0]), str(args[1]))
    elif name == "join" and args:
        items = list(_bounded_items(args[0]))
        total = sum(len(str(item)) for item in items) + len(owner) * len(items)
        if total > MAX_SEQUENCE:
            raise _too_long("the joined text", total)
        args = (items, *args[1:])
    return args


# ---------------------------------------------------------------------------------------------------------------------
# The environment


class _BoundLoops(NodeTransformer):
    """Route every loop's items through ``environment.bounded_items`` and check every ``~`` concatenation."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _environment_call("bounded_items", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _environment_call("checked", node)


def _environment_call(name: str, argument: nodes.Node) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=argument.lineno)


class _MessageLoader(FileSystemLoader):
    """Only the catalogue's Jinja files (``*.j2``), never the manifest or the Python beside them."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if not template.endswith(".j2"):
            raise TemplateNotFound(template)
        return super().get_source(environment, template)


class BoundedTemplate(Template):
    """A template whose render() carries a budget (see MAX_*)."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        if _BUDGET.get() is not None:  # an include or import inside a render: the same budget
            return super().render(*args, **kwargs)
        token = _BUDGET.set(_Budget())
        try:
            return super().render(*args, **kwargs)
        except RecursionError:
            raise UnsafeTemplate("the template calls itself too deeply") from None
        finally:
            _BUDGET.reset(token)


class BoundedSandboxedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, bounded: see the MAX_* constants. Going over a bound raises UnsafeTemplate."""

    template_class = BoundedTemplate
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binop_table.update({"+": _add, "*": _multiply, "**": _power, "%": _modulo})
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(n=10**6) is a cheap way to burn CPU
        self.concat = bounded_concat  # type: ignore[method-assign]
        self.bounded_items = _bounded_items
        self.checked = _checked

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template: nodes.Template = _BoundLoops().visit(super()._parse(source, name, filename))
        return template

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        _check_format_string(value.__self__)

        @wraps(wrapper)
        def bounded(*args: Any, **kwargs: Any) -> str:
            return _checked(wrapper(*args, **kwargs))

        return bounded

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _tick()
        if isinstance(__obj, types.BuiltinMethodType | types.MethodType):
            args = _precheck_method(__obj, args)
        nests = isinstance(__obj, Macro | LoopContext)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's items count too
            args = (_bounded_items(args[0]), *args[1:])
        if nests and budget is not None:
            budget.depth += 1
            if budget.depth > MAX_DEPTH:
                raise UnsafeTemplate(f"macros or loops call themselves more than {MAX_DEPTH} deep")
        try:
            return _checked(super().call(__context, __obj, *args, **kwargs))
        finally:
            if nests and budget is not None:
                budget.depth -= 1


def _environment() -> BoundedSandboxedEnvironment:
    env = BoundedSandboxedEnvironment(
        loader=_MessageLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(date=_date_filter, time=_time_filter, datetime=_datetime_filter, money=_money_filter)
    env.filters = {name: _bounded_filter(name, function) for name, function in env.filters.items()}
    return env


@cache
def environment() -> BoundedSandboxedEnvironment:
    return _environment()


# ---------------------------------------------------------------------------------------------------------------------
# Sources: the shipped files, or the newest published version


class SourceProvider(Protocol):
    def __call__(self, message: str, channel: str, locale: str) -> str | None:
        """The newest published source of (message, channel, locale), or None to use the shipped file."""


_source_provider: SourceProvider | None = None


def set_source_provider(provider: SourceProvider | None) -> SourceProvider | None:
    """Install the provider render_message asks first (None: only the shipped files); returns the previous one."""
    global _source_provider
    previous, _source_provider = _source_provider, provider
    return previous


def source_provider() -> SourceProvider | None:
    return _source_provider


_compiled: OrderedDict[str, Template] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled(source: str) -> Template:
    """A template compiled from a source, cached by the source's hash (a bounded LRU)."""
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    with _compiled_lock:
        template = _compiled.get(key)
        if template is not None:
            _compiled.move_to_end(key)
            return template
    template = environment().from_string(source)
    with _compiled_lock:
        _compiled[key] = template
        _compiled.move_to_end(key)
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
    return template


def clear_compiled() -> None:
    with _compiled_lock:
        _compiled.clear()


def message_path(message: str, channel: str, locale: str) -> str:
    return f"messages/{message}/{channel}.{locale}.j2"


def render_source(source: str, message: str, channel: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render a message from a given source (a preview, a version from the database) as render_message would."""
    return compiled(source).render({**variables, "locale": locale}).strip()


def _published(message: str, channel: str, locale: str) -> str | None:
    if _source_provider is None:
        return None
    try:
        return _source_provider(message, channel, locale)
    except Exception:
        log.exception("the source provider failed for %s/%s/%s: using the shipped file", message, channel, locale)
        return None


def render_message(message: str, channel: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render a message for a channel; an unknown locale falls back to the market's default.

    For each locale, the newest published source (from the source provider) wins over the shipped file,
    unless it fails to render these variables: then the shipped file answers (and the failure is logged).
    """
    env = environment()
    for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
        source = _published(message, channel, candidate)
        if source is not None:
            try:
                return render_source(source, message, channel, candidate, variables)
            except Exception:  # a published version the shopper's case breaks: the shipped file still answers
                log.exception(
                    "published %s/%s/%s failed to render: using the shipped file", message, channel, candidate
                )
        try:
            template = env.get_template(message_path(message, channel, candidate))
        except TemplateNotFound:
            continue
        return template.render({**variables, "locale": candidate}).strip()
    raise MissingTemplate(f"no template for {message}/{channel} in {locale} or {DEFAULT_LOCALE}")


def render_page(name: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render an HTML page of the customer's (autoescaped)."""
    env = environment()
    for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
        try:
            template = env.get_template(f"pages/{name}.{candidate}.html.j2")
        except TemplateNotFound:
            continue
        return template.render({**variables, "locale": candidate})
    raise MissingTemplate(f"no page {name} in {locale} or {DEFAULT_LOCALE}")
