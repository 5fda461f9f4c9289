"""The web process's settings, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHARTS_DIR = PROJECT_ROOT / "node_modules" / "chart.js" / "dist"


def _flag(text: str | None) -> bool | None:
    """``1/true/yes/on`` and ``0/false/no/off``; unset or ``auto`` is None."""
    if text is None or text.strip().lower() in ("", "auto"):
        return None
    if text.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if text.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"CONSOLE_COOKIE_SECURE must be on, off or auto, not {text!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    rasa_public_url: str  # where browsers reach the Rasa server's socket.io channel
    tracking_api_key: str | None
    vendor_dir: Path
    back_office_api_key: str | None = None
    console_secret: str | None = None  # CONSOLE_SECRET_KEY: the console's session key; no key, no console
    console_cookie_secure: bool | None = None  # CONSOLE_COOKIE_SECURE; None: on unless the host is local
    consent_hook_secret: str | None = None  # OPT_OUT_HOOK_SECRET, shared with the WhatsApp/SMS connector
    twilio_auth_token: str | None = None  # TWILIO_AUTH_TOKEN: checks the signature of status callbacks
    twilio_account_sid: str | None = None  # TWILIO_ACCOUNT_SID: a status callback must be for this account
    status_callback_url: str | None = None  # TWILIO_STATUS_CALLBACK_URL: the public URL Twilio signs
    rasa_url: str = "http://localhost:5005"  # RASA_URL: the Rasa server's HTTP API, for agents' messages
    rasa_token: str | None = None  # RASA_TOKEN
    chat_session_secret: str | None = None  # CHAT_SESSION_SECRET, shared with the socket.io channel
    trusted_proxies: frozenset[str] = frozenset()  # TRUSTED_PROXIES: the entry points whose X-Forwarded-For counts
    console_failure_delay: float = 0.4  # seconds added to every failed sign-in (tests set 0)
    charts_dir: Path = CHARTS_DIR  # WEB_CHARTS_DIR: Chart.js's dist folder, for the console's dashboard

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            rasa_public_url=os.environ.get("RASA_PUBLIC_URL", "http://localhost:5005"),
            tracking_api_key=os.environ.get("TRACKING_API_KEY") or None,
            back_office_api_key=os.environ.get("BACK_OFFICE_API_KEY") or None,
            console_secret=os.environ.get("CONSOLE_SECRET_KEY") or None,
            console_cookie_secure=_flag(os.environ.get("CONSOLE_COOKIE_SECURE")),
            consent_hook_secret=os.environ.get("OPT_OUT_HOOK_SECRET") or None,
            twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN") or None,
            twilio_account_sid=os.environ.get("TWILIO_ACCOUNT_SID") or None,
            status_callback_url=os.environ.get("TWILIO_STATUS_CALLBACK_URL") or None,
            rasa_url=os.environ.get("RASA_URL", "http://localhost:5005"),
            rasa_token=os.environ.get("RASA_TOKEN") or None,
            chat_session_secret=os.environ.get("CHAT_SESSION_SECRET") or None,
            trusted_proxies=frozenset(p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()),
            vendor_dir=Path(
                os.environ.get("WEB_VENDOR_DIR", PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist")
            ),
            charts_dir=Path(os.environ.get("WEB_CHARTS_DIR", CHARTS_DIR)),
        )
