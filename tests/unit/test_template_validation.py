"""validate(): what a marketer is told before a template version can be published."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from templates import validation
from templates.renderer import TEMPLATES_DIR, message_path
from templates.validation import Problem, validate

MANIFEST: dict[str, Any] = {
    "notice": {
        "channels": ["web", "sms", "whatsapp"],
        "locales": ["es", "en"],
        "variables": {"number": "", "amount": "", "currency": "", "form": "", "claim_reference": ""},
        "sms_max_segments": 2,
        "whatsapp": {"content_variables": {"1": "number", "2": "claim_reference"}},
    },
    "short_notice": {"channels": ["sms"], "locales": ["es"], "variables": {"number": ""}},
    "chat_notice": {
        "channels": ["whatsapp"],
        "locales": ["es"],
        "variables": {"number": "", "form": ""},
        "whatsapp": {"session": True},
    },
}
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "notice": [
        {"number": "LP1", "amount": "2.00", "currency": "EUR", "form": "coupon", "claim_reference": "C-1"},
        {"number": "LP2", "amount": "10.00", "currency": "EUR", "form": "refund", "claim_reference": None},
        {"number": "LP3", "amount": "3.00", "currency": "EUR", "form": "coupon", "claim_reference": ""},
    ],
    "short_notice": [{"number": "LP1"}],
    "chat_notice": [{"number": "LP1", "form": ""}],
}


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest of our own, so these tests don't move when the real catalogue's wording does."""
    monkeypatch.setattr(validation, "manifest", lambda: MANIFEST)
    monkeypatch.setattr(validation, "samples", lambda message: SAMPLES[message])


@pytest.fixture
def segments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake templates.sms: ("UCS-2", one segment per 50 characters); records what it was asked to count."""
    counted: list[str] = []

    def sms_segments(text: str) -> tuple[str, int]:
        counted.append(text)
        return "UCS-2", -(-len(text) // 50)

    monkeypatch.setitem(sys.modules, "templates.sms", types.SimpleNamespace(sms_segments=sms_segments))
    return counted


def kinds(problems: list[Problem]) -> list[str]:
    return [problem.kind for problem in problems]


@pytest.mark.parametrize(
    ("message", "channel"), [("parcel_status", "web"), ("promise", "web"), ("claim_result", "web")]
)
@pytest.mark.parametrize("locale", ["es", "en"])
def test_a_shipped_template_has_no_problems(message: str, channel: str, locale: str) -> None:
    source = (TEMPLATES_DIR / message_path(message, channel, locale)).read_text(encoding="utf-8")
    assert validate(message, channel, locale, source) == []


def test_a_valid_template_has_no_problems(catalogue: None, segments: list[str]) -> None:
    source = '{% import "messages/_words.es.j2" as words with context %}\n{{ number }}: {{ amount|money(currency) }}'
    assert validate("notice", "web", "es", source) == []
    assert validate("notice", "sms", "es", source) == []
    assert segments == ["LP1: 2,00\xa0€", "LP2: 10,00\xa0€", "LP3: 3,00\xa0€"]


def test_a_syntax_error_is_reported_with_its_line(catalogue: None) -> None:
    source = "Hola,\n{{ number }}\n{% if form == 'coupon' %}cupón{% endfi %}\n"
    [problem] = validate("notice", "web", "es", source)
    assert problem.kind == "syntax" and problem.line == 3
    assert "endfi" in problem.message


def test_an_unknown_filter_is_a_syntax_error_on_its_line(catalogue: None) -> None:
    [problem] = validate("notice", "web", "es", "{{ number }}\n\n\n{{ amount|moneys }}")
    assert (problem.kind, problem.line) == ("syntax", 4)
    assert "moneys" in problem.message


def test_an_undeclared_variable_is_reported_with_its_line(catalogue: None) -> None:
    source = "{{ number }}\n{% for day in days %}{{ day }}{% endfor %} {{ locale }} {{ range(2)|list }}\n{{ numbr }}"
    problems = validate("notice", "web", "es", source)
    assert kinds(problems) == ["unknown_variable", "unknown_variable"]
    assert [(problem.line, problem.message.split(" is ")[0]) for problem in problems] == [
        (2, "{{ days }}"),
        (3, "{{ numbr }}"),
    ]
    assert "amount, claim_reference, currency, form, number" in problems[0].message


def test_imported_macros_are_not_variables(catalogue: None) -> None:
    source = '{% import "messages/_words.es.j2" as words with context %}{% from "messages/_words.es.j2" import days %}'
    assert validate("notice", "web", "es", source + "{{ number }} {{ words.form(form) }} {{ days(2) }}") == []


def test_a_sample_that_does_not_render_is_reported_with_its_index_and_line(catalogue: None) -> None:
    source = "{{ number }}\n{% if form == 'refund' %}\n{{ 1 // 0 }}\n{% endif %}"
    [problem] = validate("notice", "web", "es", source)
    assert (problem.kind, problem.line, problem.sample) == ("render", 3, 1)
    assert problem.message.startswith("Sample 2 does not render:")


def test_the_same_render_error_in_every_sample_is_reported_once(catalogue: None) -> None:
    [problem] = validate("notice", "web", "es", "{{ number }}\n{{ amount.missing.deeper }}")
    assert (problem.kind, problem.line, problem.sample) == ("render", 2, 0)
    assert "nor do 2 other samples" in problem.message


def test_a_private_attribute_is_unsafe(catalogue: None) -> None:
    problems = validate("notice", "web", "es", "{{ number }}\n{{ number.__class__.__mro__ }}\n{{ form|attr('_x') }}")
    assert [(problem.kind, problem.line) for problem in problems] == [("unsafe", 2), ("unsafe", 2), ("unsafe", 3)]


def test_unbounded_work_is_unsafe(catalogue: None) -> None:
    [problem] = validate("notice", "web", "es", "{{ number }}\n\n{{ 'a' * 10**9 }}")
    assert (problem.kind, problem.line) == ("unsafe", 3)
    assert "limit is 20,000" in problem.message


def test_an_sms_that_grows_to_three_segments_is_refused(catalogue: None, segments: list[str]) -> None:
    source = "{{ number }} " + "á" * (150 - 4)  # LP1 + space + 146 = 150 characters, 3 fake segments
    problems = validate("notice", "sms", "es", source)
    assert kinds(problems) == ["sms_segments"] * 3
    assert problems[0].message == "Sample 1: this SMS is 3 segments (UCS-2, 150 characters); the limit is 2"
    assert [problem.sample for problem in problems] == [0, 1, 2]
    assert validate("notice", "web", "es", source) == []  # only SMS is counted


def test_the_sms_limit_is_one_segment_when_the_manifest_says_nothing(catalogue: None, segments: list[str]) -> None:
    assert validate("short_notice", "sms", "es", "{{ number }}" + "x" * 40) == []
    [problem] = validate("short_notice", "sms", "es", "{{ number }}" + "x" * 60)
    assert problem.message.endswith("the limit is 1")


def test_the_real_segment_counter_refuses_three_segments(catalogue: None) -> None:
    pytest.importorskip("templates.sms")
    source = "📦 {{ number }}: " + "Tu reclamación está en camino. " * 5  # UCS-2: more than 134 units
    problems = validate("notice", "sms", "es", source)
    assert kinds(problems) == ["sms_segments"] * 3
    assert problems[0].message.startswith("Sample 1: this SMS is 3 segments (UCS-2, ")
    assert problems[0].message.endswith("characters); the limit is 2")


def test_a_whatsapp_template_using_an_unmapped_variable_is_refused(catalogue: None) -> None:
    source = "Tu paquete {{ number }}\nse ha reembolsado: {{ amount|money(currency) }}"
    problems = [problem for problem in validate("notice", "whatsapp", "es", source) if problem.sample is None]
    assert [(problem.kind, problem.line) for problem in problems] == [
        ("whatsapp_variable", 2),
        ("whatsapp_variable", 2),
    ]
    assert problems[0].message.startswith("{{ amount }} is not one of the approved WhatsApp template's variables")
    assert "{{1}} number, {{2}} claim_reference" in problems[0].message


def test_a_whatsapp_variable_empty_in_a_sample_is_refused(catalogue: None) -> None:
    problems = validate("notice", "whatsapp", "es", "{{ number }}\nReferencia: {{ claim_reference }}")
    assert [(problem.kind, problem.sample, problem.line) for problem in problems] == [
        ("whatsapp_empty", 1, 2),
        ("whatsapp_empty", 2, 2),
    ]
    assert "{{2}} (claim_reference) is empty" in problems[0].message


def test_a_whatsapp_session_message_is_free_text(catalogue: None) -> None:
    assert validate("chat_notice", "whatsapp", "es", "{{ number }} {{ form }}") == []


def test_an_unknown_message_is_the_callers_mistake(catalogue: None) -> None:
    with pytest.raises(LookupError, match="no_such_message"):
        validate("no_such_message", "web", "es", "hola")
