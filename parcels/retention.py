"""How long each kind of personal data is kept (``config/retention.yml``), and the moment before which a record
of each kind is past its time: pure, the clock passed in."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import yaml

DEFAULT_RETENTION_FILE = Path(__file__).resolve().parent.parent / "config" / "retention.yml"
MAX_DAYS = 36_525  # a hundred years


class Kept(StrEnum):
    """The kinds of data a purge goes through, in its order: what hangs on a record goes before the record."""

    CONVERSATIONS = "conversations"
    CONVERSATION_DAYS = "conversation_days"
    NOTIFICATIONS = "notifications"
    HANDOFFS = "handoffs"
    CLAIMS = "claims"
    CONSENTS = "consents"
    CUSTOMERS = "customers"


class RetentionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Retention:
    days: dict[Kept, int]  # a kind left out is kept until it is erased

    @classmethod
    def parse(cls, raw: object) -> Retention:
        if not isinstance(raw, dict):
            raise RetentionError("the retention file is a mapping of <kind>_days: <days>")
        days: dict[Kept, int] = {}
        for name, value in raw.items():
            kind = str(name).removesuffix("_days")
            if not str(name).endswith("_days") or kind not in {k.value for k in Kept}:
                raise RetentionError(f"unknown {name!r}; the kinds are {', '.join(f'{k}_days' for k in Kept)}")
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
                raise RetentionError(f"{name} must be a whole number of days from 1 to {MAX_DAYS}")
            days[Kept(kind)] = value
        return cls(days)

    def cutoffs(self, now: datetime) -> dict[Kept, datetime]:
        """Per kind kept for a time: a record whose moment is before this is past it."""
        return {kind: now - timedelta(days=self.days[kind]) for kind in Kept if kind in self.days}


@functools.cache
def load_retention(path: Path | str) -> Retention:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RetentionError(f"cannot read the retention times from {path}: {error}") from error
    return Retention.parse(raw)


def current_retention() -> Retention:
    """The times named by ``RETENTION_FILE`` (default ``config/retention.yml``), loaded once."""
    return load_retention(os.environ.get("RETENTION_FILE", DEFAULT_RETENTION_FILE))
