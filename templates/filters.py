"""Babel filters: ``date``, ``time``, ``datetime``, ``money`` and ``percent`` in the message's locale and the
destination's zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context, Undefined

DEFAULT_LOCALE = "es"


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


# Where CLDR's pattern is not what a local shop writes: Catalan "9 de desembre de 2026" (CLDR: "del 2026"; the
# month's own form brings "de"/"d'": "9 d’abril"), and day-and-month in every locale.
_PATTERNS = {
    ("ca", "long"): "d MMMM 'de' y",
    ("ca", "day"): "d MMMM",
    ("es", "day"): "d 'de' MMMM",
    ("gl", "day"): "d 'de' MMMM",
    ("en", "day"): "MMMM d",
}


def _basque_date(value: date, format: str) -> str:
    """Basque dates by its grammar, not CLDR's "2026(e)ko abenduaren 9(a)": "2026ko abenduaren 9a", "2025eko
    martxoaren 11"; the year takes -eko after a consonant (…1 bat, …5 bost, …10 hamar…) and -ko after a vowel."""
    month = format_date(value, "LLLL", locale="eu")
    day = f"{value.day}" if value.day == 11 else f"{value.day}a"  # hamaika ends in -a already
    day_month = f"{month}ren {day}"
    if format == "day":
        return day_month
    year, last_two = value.year, value.year % 100
    consonant = (year % 10 in (1, 5) and last_two != 11) or (year % 10 == 0 and (year // 10) % 2 == 1)
    return f"{year}{'eko' if consonant else 'ko'} {day_month}"


@pass_context
def _date_filter(context: Context, value: date | datetime, format: str = "long", time_zone: str | None = None) -> str:
    """A day in the message's locale: ``long`` (the default), ``day`` (day and month), CLDR's names or a pattern."""
    value = _defined(value)
    if isinstance(value, datetime):
        value = _localised(value, context, time_zone).date()
    locale = _locale(context)
    if locale == "eu" and format in ("long", "day"):
        return _basque_date(value, format)
    return format_date(value, format=_PATTERNS.get((locale, format), format), locale=locale)


@pass_context
def _time_filter(context: Context, value: datetime, format: str = "short", time_zone: str | None = None) -> str:
    return format_time(_localised(_defined(value), context, time_zone), format=format, locale=_locale(context))


@pass_context
def _datetime_filter(context: Context, value: datetime, format: str = "long", time_zone: str | None = None) -> str:
    moment = _localised(_defined(value), context, time_zone)
    locale = _locale(context)
    if locale == "eu" and format in ("long", "day"):
        day = _basque_date(moment.date(), format)
    else:
        day = format_date(moment.date(), format=_PATTERNS.get((locale, format), format), locale=locale)
    return f"{day}, {format_time(moment, format='short', locale=_locale(context))}"


@pass_context
def _money_filter(context: Context, value: Decimal | int | str, currency: str = "EUR") -> str:
    return format_currency(Decimal(str(_defined(value))), currency, locale=_locale(context))


@pass_context
def _percent_filter(context: Context, value: float) -> str:
    """A share from 0 to 1 as a percentage with at most one decimal: 0.955 is "95.5%" in English."""
    share = round(float(_defined(value)), 3)
    return format_percent(share, locale=_locale(context), decimal_quantization=False)


BABEL_FILTERS: dict[str, Callable[..., str]] = {
    "date": _date_filter,
    "time": _time_filter,
    "datetime": _datetime_filter,
    "money": _money_filter,
    "percent": _percent_filter,
}
