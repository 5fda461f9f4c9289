"""Marketers' edits of the catalogue, kept as versions in the database.

A version is a draft until it is published; publishing validates it first (it parses,
renders every sample, fits its SMS segments, keeps WhatsApp's variables), so a
version that fails never reaches a customer. The renderer uses the most recently
published version of a message x channel x locale, else the shipped file. A rollback
publishes an older version's text again as a new version: history is never rewritten.

The use cases take the process's unit of work as their first argument; each is one transaction.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from parcels.errors import NotFound, Refused
from parcels.storage.template_store import TemplateVersionRepository
from parcels.storage.unit_of_work import UnitOfWork
from parcels.template_records import Version as Version
from parcels.template_records import VersionStatus as VersionStatus
from parcels.text import bad_character
from templates.manifest import manifest
from templates.renderer import TEMPLATES_DIR, SourceProvider, message_path
from templates.validation import Problem, validate

log = logging.getLogger(__name__)

MAX_SOURCE = 20_000


class UnknownTemplate(NotFound):
    pass


class VersionNotFound(NotFound):
    pass


class PublishRefused(Refused):
    """The text does not pass validation: it is not published."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def check_key(message: str, channel: str, locale: str) -> None:
    spec = manifest().get(message)
    if spec is None or channel not in spec["channels"] or locale not in spec["locales"]:
        raise UnknownTemplate(f"no template {message} / {channel} / {locale} in the catalogue")


def shipped_source(message: str, channel: str, locale: str) -> str:
    check_key(message, channel, locale)
    return (TEMPLATES_DIR / message_path(message, channel, locale)).read_text(encoding="utf-8")


def source_provider(uow: UnitOfWork) -> SourceProvider:
    """The renderer's source provider over ``uow``: the newest published text, or None for the shipped file.

    A database that cannot be read falls back to the shipped file: a message still goes out.
    """

    def published_source(message: str, channel: str, locale: str) -> str | None:
        try:
            with uow.begin() as repos:
                version = repos.template_versions.in_use(message, channel, locale)
        except SQLAlchemyError:
            log.warning("template versions unavailable: using the shipped %s/%s/%s", message, channel, locale)
            return None
        return None if version is None else version.source

    return published_source


def current(uow: UnitOfWork, message: str, channel: str, locale: str) -> tuple[str, Version | None]:
    """The text in use and the version it comes from (None: the shipped file)."""
    check_key(message, channel, locale)
    with uow.begin() as repos:
        version = repos.template_versions.in_use(message, channel, locale)
    if version is None:
        return shipped_source(message, channel, locale), None
    return version.source, version


def history(uow: UnitOfWork, message: str, channel: str, locale: str) -> list[Version]:
    """Every version of a message x channel x locale, newest first."""
    check_key(message, channel, locale)
    with uow.begin() as repos:
        return repos.template_versions.history(message, channel, locale)


def get_version(uow: UnitOfWork, version_id: int) -> Version:
    with uow.begin() as repos:
        return _version(repos.template_versions, version_id)


def _version(versions: TemplateVersionRepository, version_id: int) -> Version:
    version = versions.get(version_id)
    if version is None:
        raise VersionNotFound(str(version_id))
    return version


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


def _add_draft(
    versions: TemplateVersionRepository,
    message: str,
    channel: str,
    locale: str,
    source: str,
    author: str,
    now: datetime,
    comment: str | None,
) -> Version:
    check_key(message, channel, locale)
    if (problem := unstorable(source, comment)) is not None:
        raise ValueError(problem)
    return versions.add_draft(message, channel, locale, source, author, (comment or None) and comment[:500], now)


def _publish(versions: TemplateVersionRepository, version: Version, author: str, now: datetime) -> Version:
    if problems := validate(version.message, version.channel, version.locale, version.source):
        raise PublishRefused(problems)
    comment = version.comment
    if version.author != author:
        comment = f"{comment or ''} (published by {author})".strip()[:500]
    published = dataclasses.replace(version, status=VersionStatus.PUBLISHED, published_at=now, comment=comment)
    versions.save(published)
    return published


def save_draft(
    uow: UnitOfWork,
    message: str,
    channel: str,
    locale: str,
    source: str,
    author: str,
    now: datetime,
    comment: str | None = None,
) -> Version:
    """Keep an edit as a new draft version; drafts are never used for customers."""
    with uow.begin() as repos:
        return _add_draft(repos.template_versions, message, channel, locale, source, author, now, comment)


def _waiting_draft(versions: TemplateVersionRepository, message: str, channel: str, locale: str) -> Version | None:
    """The newest version when it is a draft: the one the editor opens."""
    newest = next(iter(versions.history(message, channel, locale)), None)
    return newest if newest is not None and newest.status is VersionStatus.DRAFT else None


def keep_draft(
    uow: UnitOfWork,
    message: str,
    channel: str,
    locale: str,
    source: str,
    author: str,
    now: datetime,
    comment: str | None = None,
) -> Version:
    """The waiting draft when it holds this text, else a new draft of it (a text refused for publishing is kept
    this way, so the marketer's work is not lost)."""
    with uow.begin() as repos:
        draft = _waiting_draft(repos.template_versions, message, channel, locale)
        if draft is not None and draft.source == source:
            return draft
        return _add_draft(repos.template_versions, message, channel, locale, source, author, now, comment)


def publish(uow: UnitOfWork, version_id: int, author: str, now: datetime) -> Version:
    """Validate a version and make it the one customers get; raises PublishRefused with the problems."""
    with uow.begin() as repos:
        return _publish(repos.template_versions, _version(repos.template_versions, version_id), author, now)


def publish_text(
    uow: UnitOfWork,
    message: str,
    channel: str,
    locale: str,
    source: str,
    author: str,
    now: datetime,
    comment: str | None = None,
) -> Version:
    """Save a text and publish it, both or neither: the waiting draft when it holds the same text, else a new
    version. Raises PublishRefused with the problems, having stored nothing."""
    with uow.begin() as repos:
        versions = repos.template_versions
        draft = _waiting_draft(versions, message, channel, locale)
        if draft is None or draft.source != source:
            draft = _add_draft(versions, message, channel, locale, source, author, now, comment)
        return _publish(versions, draft, author, now)


def rollback(uow: UnitOfWork, version_id: int, author: str, now: datetime) -> Version:
    """Publish an earlier version's text again, as a new version, in one transaction."""
    with uow.begin() as repos:
        versions = repos.template_versions
        old = _version(versions, version_id)
        comment = f"rollback to version {old.number}"
        draft = _add_draft(versions, old.message, old.channel, old.locale, old.source, author, now, comment)
        return _publish(versions, draft, author, now)


def diff(before: str, after: str, before_name: str, after_name: str) -> list[str]:
    """A unified diff of two texts, line by line."""
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), fromfile=before_name, tofile=after_name, lineterm=""
        )
    )
