"""What the template editor shows as a marketer types: the text one sample (or a real parcel's facts) renders
to, and every problem the validator finds, all within one time budget. Nothing a source holds makes it raise.

It touches no database: the caller looks up a real parcel's variables first. The web process runs it in a
separate worker process (``web.console.previews``), so that a slow template never holds the web's own
event loop or thread pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from templates.manifest import samples
from templates.renderer import render_source, time_budget
from templates.validation import template_line, validate


def preview(
    message: str,
    channel: str,
    locale: str,
    source: str,
    sample: int = 0,
    variables: Mapping[str, Any] | None = None,
    extra_problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``{ok, text, problems, characters}`` for ``source``: rendered with ``variables`` when given, else with the
    manifest's sample number ``sample``; ``extra_problems`` (the caller's, e.g. an unknown parcel) come first."""
    problems = list(extra_problems or [])
    text = None
    with time_budget():
        problems += [
            {"kind": problem.kind, "message": problem.message, "line": problem.line}
            for problem in validate(message, channel, locale, source)
        ]
        if variables is None:
            all_samples = samples(message)
            variables = all_samples[sample] if 0 <= sample < len(all_samples) else {}
        try:
            text = render_source(source, message, channel, locale, variables)
        except Exception as error:  # validate() has said why when a sample fails; a real parcel's case may not
            if not problems:
                problems.append({"kind": "render", "message": str(error), "line": template_line(error)})
    return {"ok": not problems, "text": text, "problems": problems, "characters": len(text or "")}
