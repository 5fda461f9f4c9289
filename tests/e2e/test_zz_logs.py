"""Every process's log, as the end-to-end tests made them write it, holds no full phone number or email address of
a shopper. Named to run after the other end-to-end tests: it reads what they made the processes log."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ARTIFACTS

PHONE = re.compile(r"(?<![\w+])\+\d{8,15}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def test_no_log_line_holds_a_full_phone_number_or_email(stack) -> None:  # type: ignore[no-untyped-def]
    logs = sorted((ARTIFACTS / "logs").rglob("*.log"))
    names = {path.stem for path in logs}
    assert {"rasa", "actions", "web"} <= names, names
    found = [
        f"{path.relative_to(ARTIFACTS)}:{n}: {line.strip()[:160]}"
        for path in logs
        for n, line in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if PHONE.search(line) or EMAIL.search(line)
    ]
    assert not found, "\n".join(found[:20])
