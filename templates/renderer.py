"""The one renderer for every sentence a customer reads.

A sandboxed Jinja2 environment with StrictUndefined: a template may format what it
is given, nothing more. Babel formats dates, times and money in the message's locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context, select_autoescape
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATES_DIR = Path(__file__).resolve().parent
CHANNELS = ("web", "whatsapp", "sms")
DEFAULT_LOCALE = "es"


class MissingTemplate(LookupError):
    pass


def _defined(value: Any) -> Any:
    """Filters see StrictUndefined before it fails: make it fail with the variable's name."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _locale(context: Context) -> str:
    return context.get("locale", DEFAULT_LOCALE)


def _localised(value: datetime, context: Context, time_zone: str | None) -> datetime:
    zone = time_zone or context.get("time_zone")
    return value.astimezone(ZoneInfo(zone)) if zone else value


@pass_context
def _date_filter(context: Context, value: date | datetime, format: str = "long", time_zone: str | None = None) -> str:
    if isinstance(_defined(value), datetime):
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


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(date=_date_filter, time=_time_filter, datetime=_datetime_filter, money=_money_filter)
    return env


@cache
def environment() -> ImmutableSandboxedEnvironment:
    return _environment()


def message_path(message: str, channel: str, locale: str) -> str:
    return f"messages/{message}/{channel}.{locale}.j2"


def render_message(message: str, channel: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render a message for a channel; an unknown locale falls back to the market's default."""
    env = environment()
    for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
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
