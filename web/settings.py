"""The web process's settings, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Settings:
    rasa_public_url: str  # where browsers reach the Rasa server's socket.io channel
    tracking_api_key: str | None
    vendor_dir: Path
    back_office_api_key: str | None = None

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            rasa_public_url=os.environ.get("RASA_PUBLIC_URL", "http://localhost:5005"),
            tracking_api_key=os.environ.get("TRACKING_API_KEY") or None,
            back_office_api_key=os.environ.get("BACK_OFFICE_API_KEY") or None,
            vendor_dir=Path(
                os.environ.get("WEB_VENDOR_DIR", PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist")
            ),
        )
