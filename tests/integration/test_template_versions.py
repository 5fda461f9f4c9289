"""Template versions on the real database: drafts, validated publishing, history, rollback,
and the renderer using the newest published text without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from parcels.storage.unit_of_work import SqlUnitOfWork
from templates import renderer, versions
from templates.manifest import samples
from templates.versions import PublishRefused, UnknownTemplate, VersionStatus

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
KEY = ("tracking_number_problem", "web", "es")
UOW = SqlUnitOfWork()  # the default engine's: the test database


@pytest.fixture
def provider(db: Engine) -> Iterator[None]:
    renderer.set_source_provider(versions.source_provider(UOW))
    yield
    renderer.set_source_provider(None)


def render() -> str:
    return renderer.render_message(*KEY, samples(KEY[0])[0])


def test_a_published_version_is_used_at_once_and_a_draft_never(provider: None) -> None:
    shipped = render()
    source = versions.shipped_source(*KEY).replace("No encuentro ningún envío", "No damos con ningún envío")
    draft = versions.save_draft(UOW, *KEY, source, "marta@example.com", NOW, comment="más cercano")
    assert draft.number == 1 and draft.status is VersionStatus.DRAFT
    assert render() == shipped

    published = versions.publish(UOW, draft.id, "marta@example.com", NOW + timedelta(minutes=1))
    assert published.status is VersionStatus.PUBLISHED
    assert "No damos con ningún envío" in render()
    text, version = versions.current(UOW, *KEY)
    assert version is not None and version.number == 1 and text == source


def test_a_version_that_fails_validation_is_never_published(provider: None) -> None:
    broken = versions.save_draft(UOW, *KEY, "{% if problem %}sin cerrar", "marta@example.com", NOW)
    with pytest.raises(PublishRefused) as refused:
        versions.publish(UOW, broken.id, "marta@example.com", NOW)
    assert refused.value.problems and refused.value.problems[0].kind == "syntax"
    assert versions.get_version(UOW, broken.id).status is VersionStatus.DRAFT
    unknown = versions.save_draft(UOW, *KEY, "{{ number }} {{ customer_phone }}", "marta@example.com", NOW)
    with pytest.raises(PublishRefused, match="customer_phone"):
        versions.publish(UOW, unknown.id, "marta@example.com", NOW)
    assert "No encuentro ningún envío" in render()


def test_history_diff_and_rollback(provider: None) -> None:
    first_text = versions.shipped_source(*KEY).replace("No encuentro", "Uy, no encuentro")
    first = versions.publish(
        UOW, versions.save_draft(UOW, *KEY, first_text, "a@example.com", NOW).id, "a@example.com", NOW
    )
    second_text = first_text.replace("Uy, no encuentro", "Vaya, no encuentro")
    second = versions.save_draft(UOW, *KEY, second_text, "b@example.com", NOW + timedelta(hours=1))
    versions.publish(UOW, second.id, "b@example.com", NOW + timedelta(hours=1))
    assert "Vaya, no encuentro" in render()

    assert [v.number for v in versions.history(UOW, *KEY)] == [2, 1]
    changes = versions.diff(first.source, second.source, "v1", "v2")
    assert any(line.startswith("-") and "Uy," in line for line in changes)
    assert any(line.startswith("+") and "Vaya," in line for line in changes)

    back = versions.rollback(UOW, first.id, "c@example.com", NOW + timedelta(hours=2))
    assert back.number == 3 and back.comment == "rollback to version 1"
    assert "Uy, no encuentro" in render()


def test_unknown_templates_and_huge_texts_are_refused(db: Engine) -> None:
    with pytest.raises(UnknownTemplate):
        versions.save_draft(UOW, "no_such_message", "web", "es", "hola", "a@example.com", NOW)
    with pytest.raises(UnknownTemplate):
        versions.history(UOW, "parcel_status", "fax", "es")
    with pytest.raises(ValueError, match="too long"):
        versions.save_draft(UOW, *KEY, "x" * 20_001, "a@example.com", NOW)


def test_a_database_that_is_down_falls_back_to_the_shipped_file() -> None:
    from sqlalchemy import create_engine

    down = create_engine("postgresql+psycopg://nobody:nothing@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    assert versions.source_provider(SqlUnitOfWork(down))(*KEY) is None
