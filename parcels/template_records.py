"""A marketer's version of one message x channel x locale, as a plain value. Storage hands these out; no ORM row
leaves it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    message: str
    channel: str
    locale: str
    number: int
    source: str
    status: VersionStatus
    author: str
    comment: str | None
    created_at: datetime
    published_at: datetime | None
