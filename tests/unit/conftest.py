"""Unit tests run on plain values and fakes: the fixtures that need a database or a running stack refuse."""

from __future__ import annotations

import pytest


def _refuse(name: str) -> None:
    pytest.fail(f"a unit test may not use the {name!r} fixture: move the test to tests/integration or tests/e2e")


@pytest.fixture
def db() -> None:
    _refuse("db")


@pytest.fixture
def migrated() -> None:
    _refuse("migrated")


@pytest.fixture
def stack() -> None:
    _refuse("stack")


@pytest.fixture
def production() -> None:
    _refuse("production")
