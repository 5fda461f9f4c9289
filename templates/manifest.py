"""The catalogue's manifest: which messages exist, their variables and sample data, and
for WhatsApp how each template message maps onto its approved template.

A message the notifier starts (outside WhatsApp's 24-hour window) must go as an approved
template: a ContentSid and ContentVariables, Twilio's numbered placeholders ``{{1}}``,
``{{2}}``... with their values. The manifest's ``whatsapp.content_variables`` maps each
placeholder to one of the message's variables. The WhatsApp file is the approved text with,
where each placeholder is, one ``{{ ... }}`` using that variable and no other (filters and
the ``_words`` macros are welcome: ``{{ promised_date | date }}``, ``{{ words.days(days_late) }}``),
and no branching: the value sent for a placeholder is that expression rendered, so what the
customer reads is the same whether our renderer or Twilio fills the text in.
In-conversation answers are free-form (``whatsapp: {session: true}``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import nodes

from templates.renderer import TEMPLATES_DIR, environment, message_path, render_source, source_provider

MANIFEST_FILE = Path(__file__).with_name("manifest.yml")
# Rasa's input channel names mapped to the catalogue's channels; anything else is the web chat.
_INPUT_CHANNELS = {"whatsapp": "whatsapp", "twilio_whatsapp": "whatsapp", "sms": "sms"}


def catalogue_channel(input_channel: str | None) -> str:
    """The catalogue channel (web, whatsapp, sms) a message on this Rasa input channel is written for."""
    return _INPUT_CHANNELS.get(input_channel or "", "web")


@cache
def manifest() -> dict[str, Any]:
    messages: dict[str, Any] = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))["messages"]
    return messages


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


def typed(variables: Mapping[str, Any]) -> dict[str, Any]:
    """Variables kept as JSON (dates as ISO text) back to dates and date-times, by the naming rule above."""
    return {key: _typed(key, value) for key, value in variables.items()}


def samples(message: str) -> list[dict[str, Any]]:
    return [{key: _typed(key, value) for key, value in sample.items()} for sample in manifest()[message]["samples"]]


class NotAnApprovedTemplate(ValueError):
    """A WhatsApp template of a notifier's message that cannot be an approved template."""


def whatsapp_spec(message: str) -> dict[str, Any]:
    return manifest()[message].get("whatsapp") or {}


def is_session_reply(message: str) -> bool:
    """Free-form WhatsApp text, only sent inside the 24-hour window of a conversation."""
    return bool(whatsapp_spec(message).get("session"))


def missing_locales(message: str, channel: str, languages: Iterable[str]) -> list[str]:
    """Those of ``languages`` a message has no shipped template for on ``channel``: shoppers writing in them
    would be answered in the market's default language."""
    listed = manifest()[message]["locales"]
    return [
        language
        for language in languages
        if language not in listed or not (TEMPLATES_DIR / message_path(message, channel, language)).is_file()
    ]


def content_sid_env(message: str, locale: str) -> str | None:
    """The name of the environment variable holding the approved template's ContentSid."""
    return (whatsapp_spec(message).get("content_sid_env") or {}).get(locale)


def content_sid(message: str, locale: str) -> str | None:
    name = content_sid_env(message, locale)
    return (os.environ.get(name) or None) if name else None


def whatsapp_source(message: str, locale: str) -> str:
    """The WhatsApp template in use: the newest published version, else the shipped file."""
    provider = source_provider()
    source = provider(message, "whatsapp", locale) if provider is not None else None
    if source is None:
        source = (TEMPLATES_DIR / message_path(message, "whatsapp", locale)).read_text(encoding="utf-8")
    return source


def _expressions(source: str) -> list[str]:
    """The source text of each ``{{ ... }}``, in order."""
    found: list[str] = []
    current: list[str] | None = None
    for _, kind, value in environment().lex(source):
        if kind == "variable_begin":
            current = []
        elif kind == "variable_end" and current is not None:
            found.append("".join(current).strip())
            current = None
        elif current is not None:
            current.append(value)
    return found


def _names(node: nodes.Node) -> set[str]:
    names = [node] if isinstance(node, nodes.Name) else []
    return {name.name for name in [*names, *node.find_all(nodes.Name)] if name.ctx == "load"}


def _placeholders(message: str, locale: str, source: str) -> tuple[str, dict[str, str]]:
    """The approved template's text, ``{{1}}``-style, and the expression each placeholder stands for."""
    where = f"{message}/whatsapp/{locale}"
    mapping = {str(key): name for key, name in (whatsapp_spec(message).get("content_variables") or {}).items()}
    if not mapping:
        raise NotAnApprovedTemplate(f"{message} has no WhatsApp content variables")
    key_of = {name: key for key, name in mapping.items()}
    expressions = iter(_expressions(source))
    imported: set[str] = set()
    parts: list[str] = []
    found: dict[str, str] = {}
    for node in environment().parse(source).body:
        if isinstance(node, nodes.Import):
            imported.add(node.target)
            continue
        if not isinstance(node, nodes.Output):
            raise NotAnApprovedTemplate(f"{where}: an approved template is fixed text, without {{% ... %}} blocks")
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                parts.append(child.data)
                continue
            expression = next(expressions)
            names = _names(child) - imported - {"locale"}
            if len(names) != 1 or (name := names.pop()) not in key_of:
                raise NotAnApprovedTemplate(
                    f"{where}: {{{{ {expression} }}}} must use exactly one of the WhatsApp variables "
                    f"({', '.join(mapping.values())})"
                )
            if key_of[name] in found:
                raise NotAnApprovedTemplate(f"{where}: {name} is shown twice; show each variable once")
            found[key_of[name]] = expression
            parts.append(f"{{{{{key_of[name]}}}}}")
    body = "".join(parts).strip()
    if missing := [mapping[key] for key in mapping if key not in found]:
        raise NotAnApprovedTemplate(f"{where}: {', '.join(missing)} must appear in the text")
    if re.match(r"\{\{\d+\}\}", body) or re.search(r"\{\{\d+\}\}\W*$", body):
        raise NotAnApprovedTemplate(f"{where}: WhatsApp refuses a text that starts or ends with a variable")
    if re.search(r"\}\}\s*\{\{", body):
        raise NotAnApprovedTemplate(f"{where}: WhatsApp refuses two variables with nothing but spaces between them")
    return body, found


def approved_body(message: str, locale: str, source: str | None = None) -> str:
    """The text to submit for approval (Twilio's Content API), e.g. "Tu paquete {{1}} tenía que llegar el {{2}}...".

    ``source`` defaults to the template in use. Raises NotAnApprovedTemplate when the template branches, shows
    anything but the mapped variables (each once), leaves one out, starts or ends with one, or puts two
    side by side: Meta refuses those."""
    return _placeholders(message, locale, whatsapp_source(message, locale) if source is None else source)[0]


def content_variables(
    message: str, locale: str, variables: Mapping[str, Any], source: str | None = None
) -> dict[str, str]:
    """Twilio's ContentVariables (before ``json.dumps``): each placeholder's value, formatted as the template
    formats it. Twilio refuses empty values, so an empty one is an error here rather than there."""
    if locale not in manifest()[message]["locales"]:
        raise LookupError(f"{message} has no {locale} template")
    source = whatsapp_source(message, locale) if source is None else source
    words = f'{{% import "messages/_words.{locale}.j2" as words with context %}}'
    values = {}
    for key, expression in _placeholders(message, locale, source)[1].items():
        value = render_source(f"{words}{{{{ {expression} }}}}", message, "whatsapp", locale, variables)
        if not value or value == "None":
            raise ValueError(f"{message}: WhatsApp variable {{{{{key}}}}} ({expression}) would be empty")
        values[key] = value
    return dict(sorted(values.items(), key=lambda item: int(item[0])))
