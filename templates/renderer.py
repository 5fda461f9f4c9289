"""The one renderer for every sentence a customer reads: ``render_message``, ``render_source``, ``render_page``.

Messages render in the sandbox (``templates.sandbox``: StrictUndefined, Babel filters from
``templates.filters``, every render bounded by ``templates.budget``). Published versions override the
shipped files: ``render_message`` asks the source provider each process installs at start
(``templates.sources``) for the newest source of a message first.

The names callers use are all importable from here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateNotFound

from parcels.language import SUPPORTED
from templates.budget import MAX_OUTPUT, MAX_SECONDS, TOO_SLOW, UnsafeTemplate, out_of_time, time_budget
from templates.cache import clear_compiled, compiled
from templates.filters import DEFAULT_LOCALE
from templates.sandbox import TEMPLATES_DIR, BoundedSandboxedEnvironment, environment
from templates.sources import SourceProvider, published, set_source_provider, source_provider

__all__ = [
    "CHANNELS",
    "DEFAULT_LOCALE",
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "TEMPLATES_DIR",
    "TOO_SLOW",
    "BoundedSandboxedEnvironment",
    "MissingTemplate",
    "SourceProvider",
    "UnsafeTemplate",
    "clear_compiled",
    "compiled",
    "environment",
    "message_path",
    "out_of_time",
    "render_message",
    "render_page",
    "render_source",
    "set_source_provider",
    "source_provider",
    "time_budget",
]

log = logging.getLogger(__name__)

CHANNELS = ("web", "whatsapp", "sms")


class MissingTemplate(LookupError):
    pass


def message_path(message: str, channel: str, locale: str) -> str:
    return f"messages/{message}/{channel}.{locale}.j2"


def render_source(source: str, message: str, channel: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render a message from a given source (a preview, a version from the database) as render_message would."""
    return compiled(source).render({**variables, "locale": locale}).strip()


def render_message(message: str, channel: str, locale: str, variables: Mapping[str, Any]) -> str:
    """Render a message for a channel; an unknown locale falls back to the market's default.

    For each locale, the newest published source (from the source provider) wins over the shipped file,
    unless it fails to render these variables: then the shipped file answers (and the failure is logged).
    """
    env = environment()
    for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
        source = published(message, channel, candidate)
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
            if candidate in SUPPORTED:  # a language we speak, missing: the console's catalogue flags it too
                log.warning("no %s template for %s/%s: answered in %s", candidate, message, channel, DEFAULT_LOCALE)
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
