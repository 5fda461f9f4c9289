"""The assistant's own checks: training data validation and conversation tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.processes import MODEL, ROOT, Stack

RASA = str(ROOT / ".venv-rasa/bin/rasa")
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def test_training_data_is_valid() -> None:
    result = subprocess.run(
        [
            RASA,
            "data",
            "validate",
            "--fail-on-warnings",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.mark.e2e
def test_conversation_tests_pass(stack: Stack, artifacts: Path) -> None:
    out = artifacts / "rasa-test"
    result = subprocess.run(
        [
            RASA,
            "test",
            "core",
            "--model",
            str(MODEL),
            "--stories",
            "tests/e2e/test_conversations.yml",
            "--endpoints",
            str(stack.endpoints_file),
            "--out",
            str(out),
            "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = out / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-4000:] + result.stderr[-4000:]
