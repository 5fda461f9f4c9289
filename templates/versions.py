"""Marketers' edits of the catalogue, kept as versions in the database.

A version is a draft until it is published; publishing validates it first (it parses,
renders every sample, fits its SMS segments, keeps WhatsApp's variables), so a
version that fails never reaches a customer. The renderer uses the most recently
published version of a message x channel x locale, else the shipped file. A rollback
publishes an older version's text again as a new version: history is never rewritten.
"""

from __future__ import annotations

import difflib
import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from parcels.errors import NotFound, Refused
from parcels.storage.db import session_scope
from parcels.storage.models import TemplateVersion
from parcels.text import bad_character
from templates.manifest import manifest
from templates.renderer import TEMPLATES_DIR, message_path
from templates.validation import Problem, validate

log = logging.getLogger(__name__)

MAX_SOURCE = 20_000


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class UnknownTemplate(NotFound):
    pass


class VersionNotFound(NotFound):
    pass


class PublishRefused(Refused):
    """The version does not pass validation: it stays a draft."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


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

    @classmethod
    def of(cls, row: TemplateVersion) -> Version:
        return cls(
            id=row.id,
            message=row.message,
            channel=row.channel,
            locale=row.locale,
            number=row.number,
            source=row.source,
            status=VersionStatus(row.status),
            author=row.author,
            comment=row.comment,
            created_at=row.created_at,
            published_at=row.published_at,
        )


def check_key(message: str, channel: str, locale: str) -> None:
    spec = manifest().get(message)
    if spec is None or channel not in spec["channels"] or locale not in spec["locales"]:
        raise UnknownTemplate(f"no template {message} / {channel} / {locale} in the catalogue")


def shipped_source(message: str, channel: str, locale: str) -> str:
    check_key(message, channel, locale)
    return (TEMPLATES_DIR / message_path(message, channel, locale)).read_text(encoding="utf-8")


def _key(message: str, channel: str, locale: str) -> tuple[ColumnElement[bool], ...]:
    return (
        TemplateVersion.message == message,
        TemplateVersion.channel == channel,
        TemplateVersion.locale == locale,
    )


def published_source(message: str, channel: str, locale: str, engine: Engine | None = None) -> str | None:
    """The renderer's source provider: the newest published text, or None for the shipped file.

    A database that cannot be read falls back to the shipped file: a message still goes out.
    """
    try:
        with session_scope(engine) as session:
            return session.scalar(
                select(TemplateVersion.source)
                .where(*_key(message, channel, locale), TemplateVersion.status == str(VersionStatus.PUBLISHED))
                .order_by(TemplateVersion.published_at.desc(), TemplateVersion.id.desc())
                .limit(1)
            )
    except SQLAlchemyError:
        log.warning("template versions unavailable: using the shipped %s/%s/%s", message, channel, locale)
        return None


def current(message: str, channel: str, locale: str, engine: Engine | None = None) -> tuple[str, Version | None]:
    """The text in use and the version it comes from (None: the shipped file)."""
    check_key(message, channel, locale)
    with session_scope(engine) as session:
        row = session.scalars(
            select(TemplateVersion)
            .where(*_key(message, channel, locale), TemplateVersion.status == str(VersionStatus.PUBLISHED))
            .order_by(TemplateVersion.published_at.desc(), TemplateVersion.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return shipped_source(message, channel, locale), None
        return row.source, Version.of(row)


def history(message: str, channel: str, locale: str, engine: Engine | None = None) -> list[Version]:
    """Every version of a message x channel x locale, newest first."""
    check_key(message, channel, locale)
    with session_scope(engine) as session:
        rows = session.scalars(
            select(TemplateVersion).where(*_key(message, channel, locale)).order_by(TemplateVersion.number.desc())
        )
        return [Version.of(row) for row in rows]


def get_version(version_id: int, engine: Engine | None = None) -> Version:
    with session_scope(engine) as session:
        row = session.get(TemplateVersion, version_id)
        if row is None:
            raise VersionNotFound(str(version_id))
        return Version.of(row)


def unstorable(source: str, comment: str | None = None) -> str | None:
    """Why a draft cannot be kept (too long, or a character no text holds), or None."""
    if len(source) > MAX_SOURCE:
        return f"The template is too long ({len(source)} characters; at most {MAX_SOURCE})."
    for number, line in enumerate(source.split("\n"), start=1):
        if (problem := bad_character(line)) is not None:
            return f"Line {number} of the template {problem}: remove it."
    if comment is not None and (problem := bad_character(comment)) is not None:
        return f"The comment {problem}: remove it."
    return None


def save_draft(
    message: str,
    channel: str,
    locale: str,
    source: str,
    author: str,
    now: datetime,
    comment: str | None = None,
    engine: Engine | None = None,
) -> Version:
    """Keep an edit as a new draft version; drafts are never used for customers."""
    check_key(message, channel, locale)
    if (problem := unstorable(source, comment)) is not None:
        raise ValueError(problem)
    with session_scope(engine) as session:
        last = session.scalar(select(func.max(TemplateVersion.number)).where(*_key(message, channel, locale))) or 0
        row = TemplateVersion(
            message=message,
            channel=channel,
            locale=locale,
            number=last + 1,
            source=source,
            status=str(VersionStatus.DRAFT),
            author=author,
            comment=(comment or None) and comment[:500],
            created_at=now,
        )
        session.add(row)
        session.flush()
        return Version.of(row)


def publish(version_id: int, author: str, now: datetime, engine: Engine | None = None) -> Version:
    """Validate a version and make it the one customers get; raises PublishRefused with the problems."""
    with session_scope(engine) as session:
        row = session.get(TemplateVersion, version_id)
        if row is None:
            raise VersionNotFound(str(version_id))
        problems = validate(row.message, row.channel, row.locale, row.source)
        if problems:
            raise PublishRefused(problems)
        row.status = str(VersionStatus.PUBLISHED)
        row.published_at = now
        if row.author != author:
            row.comment = f"{row.comment or ''} (published by {author})".strip()[:500]
        session.flush()
        return Version.of(row)


def rollback(version_id: int, author: str, now: datetime, engine: Engine | None = None) -> Version:
    """Publish an earlier version's text again, as a new version."""
    old = get_version(version_id, engine)
    draft = save_draft(
        old.message, old.channel, old.locale, old.source, author, now, f"rollback to version {old.number}", engine
    )
    return publish(draft.id, author, now, engine)


def diff(before: str, after: str, before_name: str, after_name: str) -> list[str]:
    """A unified diff of two texts, line by line."""
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), fromfile=before_name, tofile=after_name, lineterm=""
        )
    )
