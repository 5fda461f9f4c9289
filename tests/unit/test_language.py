"""Which language a shopper writes in: py3langid on our own labelled messages in the five languages, and the
messages that must never switch a conversation's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from parcels.language import SUPPORTED, detect_language, language_hint, requested_language, words_of

LABELLED = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "languages.yml").read_text("utf-8"))
MESSAGES = [(text, lang) for lang in SUPPORTED for text in LABELLED["messages"][lang]]


def test_the_labelled_set_covers_every_language_with_long_and_short_messages() -> None:
    for lang in SUPPORTED:
        texts = LABELLED["messages"][lang]
        assert len(texts) >= 120, lang
        assert sum(len(words_of(t)) >= 4 for t in texts) >= 80, lang


@pytest.mark.parametrize("lang", SUPPORTED)
def test_messages_of_four_words_or_more_are_read_right_at_least_97_in_100(lang: str) -> None:
    long = [(text, gold) for text, gold in MESSAGES if gold == lang and len(words_of(text)) >= 4]
    wrong = [(text, detect_language(text)) for text, gold in long if detect_language(text) != gold]
    assert 1 - len(wrong) / len(long) >= 0.97, wrong


def test_a_short_message_is_read_right_or_left_unread_never_misread_often() -> None:
    short = [(text, gold) for text, gold in MESSAGES if len(words_of(text)) < 4]
    misread = [(text, gold, found) for text, gold in short if (found := detect_language(text)) not in (gold, None)]
    assert len(misread) / len(short) <= 0.05, misread


@pytest.mark.parametrize("text", LABELLED["no_signal"])
def test_a_message_without_signal_never_switches_the_language(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["hola", "vale", "ok", "si", "no", "bon dia", "perfecte", "genial", "adeu", "merci"])
def test_one_word_several_of_our_languages_share_never_switches(text: str) -> None:
    assert detect_language(text) is None


def test_numbers_and_tracking_numbers_are_not_words() -> None:
    assert words_of("on és el LP00012345678901? 08001 · 2,00 €") == ["on", "és", "el"]
    assert words_of("l'enviament de la col·lecció") == ["l'enviament", "de", "la", "col·lecció"]


def test_hints_from_channels() -> None:
    assert language_hint("en-GB") == "en"
    assert language_hint("es_ES") == "es"
    assert language_hint("ca-ES-valencia") == "ca"
    assert language_hint("eu") == "eu"
    assert language_hint("gl_ES.UTF-8") == "gl"
    assert language_hint("fr") is None
    assert language_hint(None) is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("en català, si us plau", "ca"),
        ("podeu parlar en valencià?", "ca"),
        ("in English please", "en"),
        ("euskaraz mesedez", "eu"),
        ("fala en galego", "gl"),
        ("en castellano por favor", "es"),
    ],
)
def test_a_shopper_asks_for_a_language_by_its_name(text: str, language: str) -> None:
    assert requested_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "el paquet ve de Valencia",  # the city
        "i don't speak spanish or catalan",  # two languages: which one?
        "mi paquete LP00012345678901",
        "tengo un paquete que viene de china y me dijeron que llegaria en nueve dias pero en ingles",  # long
    ],
)
def test_a_message_that_does_not_ask_for_one_language_switches_nothing(text: str) -> None:
    assert requested_language(text) is None
