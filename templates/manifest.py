"""The catalogue's manifest: which messages exist, their variables and sample data."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MANIFEST_FILE = Path(__file__).with_name("manifest.yml")


@cache
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))["messages"]


def _typed(name: str, value: Any) -> Any:
    """Sample values are text in YAML: ``*_at`` and ``*_by`` become date-times; ``*_date``, ``*_dates``,
    ``*_day`` and ``*_on`` dates."""
    if isinstance(value, dict):
        return {key: _typed(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(name, item) for item in value]
    if isinstance(value, str) and (name == "at" or name.endswith(("_at", "_by"))):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and name.endswith(("_date", "_dates", "_day", "_on")):
        return date.fromisoformat(value)
    return value


def samples(message: str) -> list[dict[str, Any]]:
    return [{key: _typed(key, value) for key, value in sample.items()} for sample in manifest()[message]["samples"]]
