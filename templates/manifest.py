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
    """Sample values are text in YAML: ``*_at`` become date-times and ``*_date`` dates."""
    if isinstance(value, str) and name.endswith("_at"):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and name.endswith("_date"):
        return date.fromisoformat(value)
    return value


def samples(message: str) -> list[dict[str, Any]]:
    return [{key: _typed(key, value) for key, value in sample.items()} for sample in manifest()[message]["samples"]]
