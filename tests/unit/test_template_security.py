"""Template sources come from marketers and the database: the renderer must refuse to run code, reach outside the
catalogue, or do unbounded work, and it must say so quickly."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

import pytest
from jinja2 import TemplateError, TemplateNotFound, UndefinedError
from jinja2.exceptions import SecurityError

from templates import budget, cache, renderer
from templates.manifest import samples
from templates.renderer import (
    MAX_OUTPUT,
    UnsafeTemplate,
    compiled,
    environment,
    render_message,
    render_source,
    set_source_provider,
)


@dataclass
class Parcel:
    number: str = "LP00000000000009"


HARMLESS = {"x": "hola", "n": 3, "obj": Parcel(), "items": ["a", "b"]}

# (payload, what must happen): an exception class the render must raise, or None for a harmless, bounded output.
PAYLOADS: list[tuple[str, type[Exception] | None]] = [
    # reaching Python's object graph
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", SecurityError),
    ("{{ ().__class__.__base__.__subclasses__() }}", SecurityError),
    ("{{ self.__init__.__globals__ }}", SecurityError),
    ("{{ self._TemplateReference__context }}", SecurityError),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", SecurityError),
    ("{{ cycler(1, 2).next.__globals__ }}", SecurityError),
    ("{{ joiner.__call__.__globals__ }}", SecurityError),
    ("{{ namespace.__init__.__globals__ }}", SecurityError),
    ("{{ range.__globals__ }}", SecurityError),  # our own bounded range() is a Python function
    ("{{ dict.__subclasses__() }}", SecurityError),
    ("{{ lipsum.__globals__ }}", UndefinedError),  # lipsum is not a global here at all
    ("{{ lipsum(10**6) }}", UndefinedError),
    ("{{ config }}", UndefinedError),
    ("{{ request }}", UndefinedError),
    ("{{ obj.__dict__ }}", SecurityError),
    ("{{ x.__dict__ }}", UndefinedError),
    ("{{ x.upper.__self__ }}", SecurityError),
    ("{{ x.upper.__globals__ }}", UndefinedError),
    ("{{ ''|attr('__class__') }}", SecurityError),
    ("{{ obj|attr('__class__')|attr('__init__')|attr('__globals__') }}", TemplateError),
    ("{{ x['__class__'] }}", SecurityError),
    ("{{ '{0.__class__}'.format(x) }}", SecurityError),
    ("{{ '{0[__class__]}'.format(x) }}", SecurityError),
    # mutating what the template is given (the immutable sandbox)
    ("{{ [].append(1) }}", SecurityError),
    ("{{ items.pop() }}", SecurityError),
    ("{{ {}.update(a=1) }}", SecurityError),
    # reading files: only the catalogue's *.j2 files can be included or imported
    ("{% include '/etc/passwd' %}", TemplateNotFound),
    ("{% include '../../../etc/passwd' %}", TemplateNotFound),
    ("{% include 'messages/../../../../etc/passwd' %}", TemplateNotFound),
    ("{% import 'os' as os %}{{ os.system('id') }}", TemplateNotFound),
    ("{% include 'renderer.py' %}", TemplateNotFound),
    ("{% include 'manifest.yml' %}", TemplateNotFound),
    # unbounded work
    ("{% for i in range(10**9) %}x{% endfor %}", UnsafeTemplate),
    ("{{ 'a' * 10**9 }}", UnsafeTemplate),
    ("{{ [1] * 10**9 }}", UnsafeTemplate),
    ("{{ 9**9**9 }}", None),  # Jinja's ** is left-associative: (9**9)**9, 78 digits
    ("{{ 9**(9**9) }}", UnsafeTemplate),
    ("{{ (2**1000) ** 1000 }}", UnsafeTemplate),
    ("{% set ns = namespace(n=3) %}{% for i in range(100) %}{% set ns.n = ns.n * ns.n %}{% endfor %}", UnsafeTemplate),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", UnsafeTemplate),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}", UnsafeTemplate),
    ("{% for x in range(1000) recursive %}{{ loop(range(1000)) }}{% endfor %}", UnsafeTemplate),
    (
        "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
        "{% endfor %}{% endfor %}{% endfor %}",
        UnsafeTemplate,
    ),
    ("{% for a in range(1000) %}{% for b in range(1000) if false %}{% endfor %}{% endfor %}", UnsafeTemplate),
    ("{% for a in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", UnsafeTemplate),
    ("{% set s %}{% for a in range(1000) %}{{ 'x' * 1000 }}{% endfor %}{% endset %}", UnsafeTemplate),
    ("{% filter upper %}{% for a in range(1000) %}{{ 'x' * 1000 }}{% endfor %}{% endfilter %}", UnsafeTemplate),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        UnsafeTemplate,
    ),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        UnsafeTemplate,
    ),
    (
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s|replace('a', 'aaaa') %}{% endfor %}",
        UnsafeTemplate,
    ),
    ("{{ ('x' * 20000).replace('x', 'yy') }}", UnsafeTemplate),
    ("{{ 'a'|center(1000000000) }}", UnsafeTemplate),
    ("{{ 'a'.center(10**9) }}", UnsafeTemplate),
    ("{{ 'a'.ljust(10**9) }}", UnsafeTemplate),
    ("{{ 'a'|indent(10**9, true) }}", UnsafeTemplate),
    ("{{ '%999999999s' % 'a' }}", UnsafeTemplate),
    ("{{ '%*s' % (10**9, 'a') }}", UnsafeTemplate),
    ("{{ '%999999999s'|format('a') }}", UnsafeTemplate),
    ("{{ '{:999999999}'.format('a') }}", UnsafeTemplate),
    ("{{ '{:{}}'.format('a', 10**9) }}", UnsafeTemplate),
    ("{{ [1]|batch(10**9, 'x')|list }}", UnsafeTemplate),
    ("{{ [1]|slice(10**9)|list }}", UnsafeTemplate),
    ("{{ (['x' * 20000] * 20000)|join }}", UnsafeTemplate),
    ("{{ ('x' * 20000).join(['a'] * 1000) }}", UnsafeTemplate),
    ("{{ range(1000)|map('string')|join('x' * 19000) }}", UnsafeTemplate),
    ("{{ ([['x'] * 1000] * 21)|sum(start=[]) }}", UnsafeTemplate),
]


@pytest.fixture(autouse=True)
def no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """If a payload ever reached os or subprocess, the test fails loudly rather than running a command."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a template ran a command: {args!r}")

    for name in ("system", "popen", "execv", "execve", "spawnv", "fork"):
        monkeypatch.setattr(os, name, refuse, raising=False)
    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.mark.parametrize(("source", "expected"), PAYLOADS, ids=[source[:60] for source, _ in PAYLOADS])
def test_an_injection_is_refused_or_harmless(source: str, expected: type[Exception] | None) -> None:
    assert len(PAYLOADS) >= 15
    started = time.monotonic()
    if expected is None:
        text = render_source(source, "claim_confirmation", "sms", "es", HARMLESS)
        assert len(text) <= MAX_OUTPUT
        assert "<class" not in text and "<function" not in text and "uid=" not in text
    else:
        with pytest.raises(expected) as raised:
            render_source(source, "claim_confirmation", "sms", "es", HARMLESS)
        assert isinstance(raised.value, TemplateError)
        assert "uid=" not in str(raised.value)
    assert time.monotonic() - started < 2


def test_unsafe_template_is_a_jinja_security_error_with_a_clear_message() -> None:
    with pytest.raises(UnsafeTemplate, match=r"range\(\) of 1,000,000,000 items; the limit is 1,000"):
        render_source("{% for i in range(10**9) %}{% endfor %}", "m", "sms", "es", {})
    assert issubclass(UnsafeTemplate, SecurityError) and issubclass(UnsafeTemplate, TemplateError)


def test_a_render_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_SECONDS", 0.2)
    slow = (
        "{% for a in range(1000) %}{% for b in range(19) %}"
        "{% set _ = ('x ' * 9000).split()|sort %}{% endfor %}{% endfor %}"
    )
    started = time.monotonic()
    with pytest.raises(UnsafeTemplate, match="too long"):
        render_source(slow, "m", "sms", "es", {})
    assert time.monotonic() - started < 2


def test_the_rendered_length_is_capped_at_max_output() -> None:
    text = render_source("{{ 'x' * 20000 }}", "m", "sms", "es", {})
    assert len(text) == MAX_OUTPUT
    with pytest.raises(UnsafeTemplate, match="longer than 20,000 characters"):
        render_source("{{ 'x' * 20000 }}{{ 'y' }}", "m", "sms", "es", {})


def test_ordinary_template_features_still_work() -> None:
    source = (
        "{% set ns = namespace(total=0) %}{% for i in range(1, 4) %}{% set ns.total = ns.total + i %}{% endfor %}"
        "{{ ns.total }} {{ items|join(', ') }} {{ x|upper|center(8) }} {{ '%05.1f' % 3.14159 }} {{ 2 ** 10 }}"
        " {{ '{}-{}'.format(x, n) }} {{ x ~ '!' * 3 }} {{ [1, 2] + [3] }}"
    )
    assert render_source(source, "m", "sms", "es", HARMLESS) == "6 a, b   HOLA   003.1 1024 hola-3 hola!!! [1, 2, 3]"


# --- rendering from a source, and the source provider ---------------------------------------------------------------


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    previous = set_source_provider(None)
    yield set_source_provider
    set_source_provider(previous)


def test_render_source_of_a_shipped_file_renders_as_the_file_does() -> None:
    source = (renderer.TEMPLATES_DIR / renderer.message_path("promise", "web", "es")).read_text(encoding="utf-8")
    for sample in samples("promise"):  # imports messages/_words.es.j2 with context
        assert render_source(source, "promise", "web", "es", sample) == render_message("promise", "web", "es", sample)


def test_render_message_asks_the_provider_first(provider) -> None:  # type: ignore[no-untyped-def]
    asked: list[tuple[str, str, str]] = []

    def published(message: str, channel: str, locale: str) -> str | None:
        asked.append((message, channel, locale))
        return "Publicado: {{ number }} ({{ locale }})" if locale == "es" else None

    provider(published)
    sample = samples("claim_confirmation")[0]
    assert render_message("claim_confirmation", "web", "es", sample) == f"Publicado: {sample['number']} (es)"
    english = render_message("claim_confirmation", "web", "en", sample)  # None: the shipped English file
    assert "Publicado" not in english and sample["number"] in english
    assert render_message("claim_confirmation", "web", "fr", sample) == f"Publicado: {sample['number']} (es)"
    assert asked[:2] == [("claim_confirmation", "web", "es"), ("claim_confirmation", "web", "en")]


def test_a_failing_provider_falls_back_to_the_shipped_file(provider) -> None:  # type: ignore[no-untyped-def]
    def broken(message: str, channel: str, locale: str) -> str | None:
        raise RuntimeError("database down")

    provider(broken)
    sample = samples("claim_confirmation")[0]
    assert sample["number"] in render_message("claim_confirmation", "web", "es", sample)


def test_a_published_source_is_bounded_too_and_the_shipped_file_answers(  # type: ignore[no-untyped-def]
    provider, caplog: pytest.LogCaptureFixture
) -> None:
    sample = samples("claim_confirmation")[0]
    shipped = render_message("claim_confirmation", "web", "es", sample)
    provider(lambda message, channel, locale: "{{ 'a' * 10**9 }}")
    assert render_message("claim_confirmation", "web", "es", sample) == shipped
    assert any(isinstance(r.exc_info and r.exc_info[1], UnsafeTemplate) for r in caplog.records)


def test_compiled_sources_are_cached_by_hash_in_a_bounded_lru(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer.clear_compiled()
    monkeypatch.setattr(cache, "COMPILED_CACHE_SIZE", 2)
    first = compiled("uno {{ x }}")
    assert compiled("uno {{ x }}") is first
    compiled("dos {{ x }}")
    compiled("uno {{ x }}")  # most recently used again
    compiled("tres {{ x }}")  # pushes out "dos"
    assert compiled("uno {{ x }}") is first
    assert len(cache._compiled) == 2
    renderer.clear_compiled()


def test_the_environment_is_the_bounded_sandbox() -> None:
    env = environment()
    assert isinstance(env, renderer.BoundedSandboxedEnvironment)
    assert "lipsum" not in env.globals
    with pytest.raises(UnsafeTemplate):
        env.from_string("{{ 'a' * 10**9 }}").render()
