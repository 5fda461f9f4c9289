"""Where the newest published source of a message comes from.

Each process installs its provider at start (``set_source_provider(templates.versions.source_provider(uow))``:
the web app's startup, the action server's app factory in every server process (``actions/server.py``),
the notifier's ``main``); without one, only the shipped files answer.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


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


def published(message: str, channel: str, locale: str) -> str | None:
    """The installed provider's source, or None: no provider, nothing published, or the provider failed (logged)."""
    if _source_provider is None:
        return None
    try:
        return _source_provider(message, channel, locale)
    except Exception:
        log.exception("the source provider failed for %s/%s/%s: using the shipped file", message, channel, locale)
        return None
