"""Check a message template before it is published: the marketers' template editor shows these problems.

``validate(message, channel, locale, source)`` parses the source, checks the variables it uses against the
manifest, renders it with every sample of the manifest's, and for SMS and WhatsApp checks what those channels
refuse. It touches no database and sends nothing.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, UndefinedError

from parcels.text import bad_character
from templates.manifest import manifest, samples
from templates.renderer import TOO_SLOW, compiled, environment, out_of_time, time_budget

Kind = Literal["syntax", "unknown_variable", "render", "sms_segments", "whatsapp_variable", "whatsapp_empty", "unsafe"]

# Names a template may use without declaring them in the manifest.
IMPLICIT_VARIABLES = frozenset({"locale", "loop", "self", "caller", "varargs", "kwargs"})
DEFAULT_SMS_MAX_SEGMENTS = 1


@dataclass(frozen=True)
class Problem:
    """One problem of a template: ``line`` is the template's line (1-based) when there is one; ``sample`` the
    index (0-based) of the manifest's sample it showed up with, when it did with one."""

    kind: Kind
    message: str
    line: int | None = None
    sample: int | None = None


def validate(message: str, channel: str, locale: str, source: str) -> list[Problem]:
    """The problems of a template's source for (message, channel, locale); an empty list when all is well.

    Every sample is rendered within one time budget (``templates.renderer.time_budget``) for them all. Nothing
    a source holds makes this raise: every failure is a problem."""
    spec = manifest().get(message)
    if spec is None:
        raise LookupError(f"there is no message {message!r} in the manifest")
    with time_budget():
        return _validate(spec, message, channel, locale, source)


def _validate(spec: Mapping[str, Any], message: str, channel: str, locale: str, source: str) -> list[Problem]:
    for number, source_line in enumerate(source.split("\n"), start=1):
        if (problem := bad_character(source_line)) is not None:
            return [Problem("syntax", f"Line {number} {problem}: remove it.", number)]
    try:
        tree = environment().parse(source)
        template = compiled(source)  # also finds unknown filters and tests
    except TemplateSyntaxError as error:
        return [Problem("syntax", f"The template does not parse: {error.message}", error.lineno)]
    except RecursionError:
        return [Problem("syntax", "The template is nested too deeply to be read.", None)]
    except Exception as error:  # the compiler's own limits (e.g. an expression it cannot fold)
        return [Problem("syntax", f"The template cannot be compiled: {error}", template_line(error))]

    problems = [
        Problem("unsafe", f"{attribute!r} is a private attribute: templates may not use it.", line)
        for line, attribute in _private_attributes(tree)
    ]
    used = meta.find_undeclared_variables(tree) - IMPLICIT_VARIABLES - set(environment().globals)
    declared = set(spec.get("variables") or {})
    unknown = sorted(used - declared)
    problems += [
        Problem(
            "unknown_variable",
            f"{{{{ {name} }}}} is not a variable of {message}; it has: {', '.join(sorted(declared)) or 'none'}.",
            _first_line(tree, name),
        )
        for name in unknown
    ]

    whatsapp = spec.get("whatsapp") or {}
    mapped = {str(key): value for key, value in (whatsapp.get("content_variables") or {}).items()}
    if channel == "whatsapp" and mapped:
        names = ", ".join(f"{{{{{key}}}}} {value}" for key, value in mapped.items())
        problems += [
            Problem(
                "whatsapp_variable",
                f"{{{{ {name} }}}} is not one of the approved WhatsApp template's variables ({names}): "
                "WhatsApp only lets us fill those in.",
                _first_line(tree, name),
            )
            for name in sorted((used & declared) - set(mapped.values()))
        ]

    limit = int(spec.get("sms_max_segments") or DEFAULT_SMS_MAX_SEGMENTS)
    private = {attribute for _, attribute in _private_attributes(tree)}
    failures: dict[tuple[Kind, str, int | None], list[int]] = {}
    for index, sample in enumerate(samples(message)):
        label = f"Sample {index + 1}"
        if out_of_time():
            problems.append(Problem("unsafe", f"{label} and the samples after it were not tried: {TOO_SLOW}.", None))
            break
        try:
            text = template.render({**sample, "locale": locale}).strip()
        except Exception as error:
            kind: Kind = "unsafe" if isinstance(error, SecurityError) else "render"
            if _reported(error, unknown, private):
                continue
            failures.setdefault((kind, str(error), template_line(error)), []).append(index)
            continue

        if not text:
            problems.append(Problem("render", f"{label} renders to nothing: the customer would get an empty message."))
            continue
        if channel == "sms":
            encoding, segments = _sms_segments(text)
            if segments > limit:
                problems.append(
                    Problem(
                        "sms_segments",
                        f"{label}: this SMS is {segments} segments ({encoding}, {len(text)} characters); "
                        f"the limit is {limit}",
                        None,
                        index,
                    )
                )
        if channel == "whatsapp" and mapped:
            problems += [
                Problem(
                    "whatsapp_empty",
                    f"{label}: WhatsApp variable {{{{{key}}}}} ({name}) is empty, and WhatsApp refuses a template "
                    "message with an empty variable.",
                    _first_line(tree, name),
                    index,
                )
                for key, name in mapped.items()
                if _empty(sample.get(name))
            ]
    for (kind, reason, line), indexes in failures.items():
        others = f" (nor do {len(indexes) - 1} other samples)" if len(indexes) > 1 else ""
        text = f"Sample {indexes[0] + 1} does not render: {reason}{others}"
        problems.append(Problem(kind, text, line, indexes[0]))
    return problems


def _reported(error: Exception, unknown: Iterable[str], private: Iterable[str]) -> bool:
    """A render error that an unknown variable or a private attribute found above already explains."""
    text = str(error)
    return (isinstance(error, UndefinedError) and any(f"'{name}' is undefined" in text for name in unknown)) or (
        isinstance(error, SecurityError) and any(f"attribute {name!r}" in text for name in private)
    )


def _sms_segments(text: str) -> tuple[str, int]:
    """templates.sms.sms_segments, looked up at each call (the module is a colleague's, and tests replace it)."""
    encoding_and_segments: tuple[str, int] = importlib.import_module("templates.sms").sms_segments(text)
    return encoding_and_segments


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Mapping | list | tuple | set):
        return not value
    return str(value).strip() == ""


def _first_line(tree: nodes.Template, name: str) -> int | None:
    lines = [node.lineno for node in tree.find_all(nodes.Name) if node.name == name and node.ctx == "load"]
    return min(lines, default=None)


def template_line(error: BaseException) -> int | None:
    """The line of the template being validated where a render failed: Jinja puts template frames in tracebacks."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "<template>"]
    return lines[-1] if lines else None


def _private_attributes(tree: nodes.Template) -> list[tuple[int, str]]:
    """Attributes a template may never reach for (``x.__class__``, ``x['_private']``, ``x|attr('__dict__')``)."""
    found: list[tuple[int, Any]] = [(node.lineno, node.attr) for node in tree.find_all(nodes.Getattr)]
    for node in tree.find_all(nodes.Getitem):
        if isinstance(node.arg, nodes.Const):
            found.append((node.lineno, node.arg.value))
    for filter_node in tree.find_all(nodes.Filter):
        if filter_node.name == "attr":
            found += [(filter_node.lineno, arg.value) for arg in filter_node.args if isinstance(arg, nodes.Const)]
    return [(line, attribute) for line, attribute in found if isinstance(attribute, str) and attribute.startswith("_")]
