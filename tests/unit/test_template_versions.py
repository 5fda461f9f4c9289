"""Template versions on the in-memory unit of work: drafts, publishing in one transaction, roll-back, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parcels.storage.memory import MemoryUnitOfWork
from templates.versions import (
    PublishRefused,
    UnknownTemplate,
    VersionNotFound,
    VersionStatus,
    current,
    get_version,
    history,
    keep_draft,
    publish,
    publish_text,
    rollback,
    save_draft,
    shipped_source,
    source_provider,
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
KEY = ("tracking_number_problem", "web", "es")
BROKEN = "{% if problem %}sin cerrar"


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


def edited(text: str) -> str:
    return shipped_source(*KEY).replace("No encuentro", text)


def test_a_draft_is_kept_but_not_used_until_published(uow: MemoryUnitOfWork) -> None:
    draft = save_draft(uow, *KEY, edited("No damos con"), "marta@example.com", NOW, comment="más cercano")
    assert draft.number == 1 and draft.status is VersionStatus.DRAFT and draft.comment == "más cercano"
    assert current(uow, *KEY) == (shipped_source(*KEY), None)
    assert source_provider(uow)(*KEY) is None
    published = publish(uow, draft.id, "bea@example.com", NOW + timedelta(minutes=1))
    assert published.status is VersionStatus.PUBLISHED and published.published_at == NOW + timedelta(minutes=1)
    assert published.comment == "más cercano (published by bea@example.com)"
    assert current(uow, *KEY) == (draft.source, published)
    assert source_provider(uow)(*KEY) == draft.source


def test_publishing_a_text_saves_and_publishes_it_in_one_transaction(uow: MemoryUnitOfWork) -> None:
    version = publish_text(uow, *KEY, edited("Uy, no encuentro"), "marta@example.com", NOW, "nuevo")
    assert uow.commits == 1
    assert history(uow, *KEY) == [version] and version.status is VersionStatus.PUBLISHED


def test_publishing_the_waiting_draft_s_text_publishes_that_draft(uow: MemoryUnitOfWork) -> None:
    draft = save_draft(uow, *KEY, edited("Vaya, no encuentro"), "marta@example.com", NOW)
    version = publish_text(uow, *KEY, draft.source, "marta@example.com", NOW)
    assert version.id == draft.id and [v.id for v in history(uow, *KEY)] == [draft.id]


def test_a_text_that_fails_validation_is_neither_saved_nor_published(uow: MemoryUnitOfWork) -> None:
    with pytest.raises(PublishRefused) as refused:
        publish_text(uow, *KEY, BROKEN, "marta@example.com", NOW)
    assert refused.value.problems and uow.commits == 0
    assert history(uow, *KEY) == []


def test_a_refused_text_is_kept_as_the_waiting_draft_once(uow: MemoryUnitOfWork) -> None:
    kept = keep_draft(uow, *KEY, BROKEN, "marta@example.com", NOW)
    assert keep_draft(uow, *KEY, BROKEN, "marta@example.com", NOW) == kept
    assert history(uow, *KEY) == [kept] and kept.status is VersionStatus.DRAFT


def test_a_version_that_fails_validation_stays_a_draft(uow: MemoryUnitOfWork) -> None:
    broken = save_draft(uow, *KEY, BROKEN, "marta@example.com", NOW)
    with pytest.raises(PublishRefused):
        publish(uow, broken.id, "marta@example.com", NOW)
    assert get_version(uow, broken.id).status is VersionStatus.DRAFT
    assert source_provider(uow)(*KEY) is None


def test_a_roll_back_publishes_the_old_text_as_a_new_version_and_keeps_history(uow: MemoryUnitOfWork) -> None:
    first = publish_text(uow, *KEY, edited("Uy, no encuentro"), "a@example.com", NOW)
    second = publish_text(uow, *KEY, edited("Ay, no encuentro"), "b@example.com", NOW + timedelta(hours=1))
    back = rollback(uow, first.id, "c@example.com", NOW + timedelta(hours=2))
    assert back.number == 3 and back.source == first.source and back.comment == "rollback to version 1"
    assert [v.number for v in history(uow, *KEY)] == [3, 2, 1]
    assert get_version(uow, second.id) == second  # history is never rewritten
    assert current(uow, *KEY) == (first.source, back)


def test_a_roll_back_to_a_version_that_no_longer_passes_stores_nothing(uow: MemoryUnitOfWork) -> None:
    broken = save_draft(uow, *KEY, BROKEN, "a@example.com", NOW)
    with pytest.raises(PublishRefused):
        rollback(uow, broken.id, "b@example.com", NOW)
    assert history(uow, *KEY) == [broken]


def test_unknown_templates_versions_and_unstorable_drafts_are_refused(uow: MemoryUnitOfWork) -> None:
    with pytest.raises(UnknownTemplate):
        save_draft(uow, "no_such_message", "web", "es", "hola", "a@example.com", NOW)
    with pytest.raises(UnknownTemplate):
        history(uow, "parcel_status", "fax", "es")
    with pytest.raises(VersionNotFound):
        get_version(uow, 99)
    with pytest.raises(ValueError, match="too long"):
        publish_text(uow, *KEY, "x" * 20_001, "a@example.com", NOW)
    assert uow.state.template_versions == {}
