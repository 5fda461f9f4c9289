"""The marketers' template versions: what the use cases (``templates.versions``) ask of storage, and the SQL
implementation (the fake is in ``parcels.storage.memory``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from parcels.storage.models import TemplateVersion
from parcels.template_records import Version, VersionStatus


class TemplateVersionRepository(Protocol):
    def get(self, version_id: int) -> Version | None: ...

    def in_use(self, message: str, channel: str, locale: str) -> Version | None:
        """The most recently published version, or None (the shipped file is used)."""
        ...

    def history(self, message: str, channel: str, locale: str) -> list[Version]:
        """Every version, newest first."""
        ...

    def add_draft(
        self, message: str, channel: str, locale: str, source: str, author: str, comment: str | None, at: datetime
    ) -> Version:
        """Store a new draft, numbered after the newest version."""
        ...

    def save(self, version: Version) -> None:
        """Store the version's status, time of publishing and comment."""
        ...


def version_of(row: TemplateVersion) -> Version:
    return Version(
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


def _key(message: str, channel: str, locale: str) -> tuple[ColumnElement[bool], ...]:
    return (
        TemplateVersion.message == message,
        TemplateVersion.channel == channel,
        TemplateVersion.locale == locale,
    )


class SqlTemplateVersions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, version_id: int) -> Version | None:
        row = self._session.get(TemplateVersion, version_id)
        return None if row is None else version_of(row)

    def in_use(self, message: str, channel: str, locale: str) -> Version | None:
        row = self._session.scalars(
            select(TemplateVersion)
            .where(*_key(message, channel, locale), TemplateVersion.status == str(VersionStatus.PUBLISHED))
            .order_by(TemplateVersion.published_at.desc(), TemplateVersion.id.desc())
            .limit(1)
        ).first()
        return None if row is None else version_of(row)

    def history(self, message: str, channel: str, locale: str) -> list[Version]:
        rows = self._session.scalars(
            select(TemplateVersion).where(*_key(message, channel, locale)).order_by(TemplateVersion.number.desc())
        )
        return [version_of(row) for row in rows]

    def add_draft(
        self, message: str, channel: str, locale: str, source: str, author: str, comment: str | None, at: datetime
    ) -> Version:
        last = self._session.scalar(select(func.max(TemplateVersion.number)).where(*_key(message, channel, locale)))
        row = TemplateVersion(
            message=message,
            channel=channel,
            locale=locale,
            number=(last or 0) + 1,
            source=source,
            status=str(VersionStatus.DRAFT),
            author=author,
            comment=comment,
            created_at=at,
        )
        self._session.add(row)
        self._session.flush()
        return version_of(row)

    def save(self, version: Version) -> None:
        row = self._session.get(TemplateVersion, version.id)
        if row is None:
            raise LookupError(version.id)
        row.status, row.published_at, row.comment = str(version.status), version.published_at, version.comment
        self._session.flush()
