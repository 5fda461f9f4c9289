"""The readable page of a shopper's export, in their language: what we hold, why, since and until when."""

from __future__ import annotations

from datetime import datetime

from parcels.language import SUPPORTED
from parcels.privacy import held_kinds
from parcels.privacy_records import Holdings
from parcels.retention import Retention
from templates.renderer import render_page

LANGUAGES = SUPPORTED


def readable_export(
    holdings: Holdings, reference: str, made_at: datetime, language: str | None, retention: Retention, time_zone: str
) -> str:
    """The page in ``language``, else in the language the shopper's customer record names, else Spanish."""
    named = (c.get("language") for c in holdings.records.get("customers", []))
    locale = language if language in LANGUAGES else next((n for n in named if n in LANGUAGES), LANGUAGES[0])
    variables = {
        "reference": reference,
        "made_at": made_at,
        "kinds": held_kinds(holdings, retention),
        "time_zone": time_zone,
    }
    return render_page("privacy_export", locale, variables)
