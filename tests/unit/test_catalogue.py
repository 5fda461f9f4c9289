"""The shipped catalogue: one file per message x channel x locale, every sample renders,
SMS texts fit their segments, WhatsApp template messages match their approved templates."""

from __future__ import annotations

import re

import pytest
from jinja2 import meta

from parcels.language import SUPPORTED
from parcels.policy import current_policy
from templates.manifest import (
    NotAnApprovedTemplate,
    approved_body,
    content_sid_env,
    content_variables,
    is_session_reply,
    manifest,
    missing_locales,
    samples,
)
from templates.renderer import CHANNELS, TEMPLATES_DIR, environment, message_path, render_message
from templates.sms import GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, sms_segments

REQUIRED = (
    "parcel_status",
    "promise",
    "claim_confirmation",
    "promise_at_risk",
    "promise_broken",
    "compensation_granted",
    "delivered_late",
)
NOTIFIER = ("promise_at_risk", "promise_broken", "compensation_granted", "delivered_late")
KEYS = {"description", "channels", "locales", "variables", "sms_max_segments", "whatsapp", "samples"}
MESSAGES_DIR = TEMPLATES_DIR / "messages"
RENDERED = [
    (message, channel, locale)
    for message, spec in manifest().items()
    for channel in spec["channels"]
    for locale in spec["locales"]
]
EVERY_LOCALE = [(message, locale) for message, spec in manifest().items() for locale in spec["locales"]]
SMS = [(message, locale) for message, locale in EVERY_LOCALE if "sms" in manifest()[message]["channels"]]
TEMPLATED = [(message, locale) for message in NOTIFIER for locale in manifest()[message]["locales"]]


def _source(message: str, channel: str, locale: str) -> str:
    return (TEMPLATES_DIR / message_path(message, channel, locale)).read_text(encoding="utf-8")


# --- the catalogue's shape ---------------------------------------------------------


def test_the_catalogue_holds_every_message_in_every_channel_and_locale() -> None:
    for message in REQUIRED:
        spec = manifest()[message]
        assert set(spec["channels"]) == set(CHANNELS), message
        assert set(spec["locales"]) >= {"es", "en"}, message


@pytest.mark.parametrize("message", sorted(manifest()))
def test_every_manifest_entry_is_complete(message: str) -> None:
    spec = manifest()[message]
    assert set(spec) >= KEYS, KEYS - set(spec)
    assert spec["sms_max_segments"] in (1, 2)
    assert 3 <= len(spec["samples"]) <= 15
    for sample in spec["samples"]:
        assert set(sample) == set(spec["variables"]), set(sample) ^ set(spec["variables"])
    for channel in spec["channels"]:
        for locale in spec["locales"]:
            assert (TEMPLATES_DIR / message_path(message, channel, locale)).is_file(), (channel, locale)


def test_every_template_file_belongs_to_a_manifest_entry() -> None:
    listed = {message_path(*case) for case in RENDERED}
    shipped = {
        path.relative_to(TEMPLATES_DIR).as_posix()
        for path in MESSAGES_DIR.rglob("*.j2")
        if not path.name.startswith("_")
    }
    assert shipped - listed == set()
    assert listed - shipped == set()


def test_the_words_exist_in_every_locale() -> None:
    locales = {locale for spec in manifest().values() for locale in spec["locales"]}
    for locale in locales:
        assert (MESSAGES_DIR / f"_words.{locale}.j2").is_file()


def test_every_message_exists_in_every_language_the_markets_speak() -> None:
    languages = current_policy().languages
    assert set(languages) == set(SUPPORTED)
    gaps = {(m, c): missing_locales(m, c, languages) for m, spec in manifest().items() for c in spec["channels"]}
    assert {key: gap for key, gap in gaps.items() if gap} == {}


def test_a_language_a_message_lacks_is_named() -> None:
    assert missing_locales("promise", "sms", ["es", "ca", "fr"]) == ["fr"]


# --- every sample in every channel ---------------------------------------------------


@pytest.mark.parametrize(("message", "channel", "locale"), RENDERED)
def test_every_sample_renders(message: str, channel: str, locale: str) -> None:
    for sample in samples(message):
        text = render_message(message, channel, locale, sample)
        if sample.get("number"):  # a message about a parcel names it
            assert sample["number"] in text
        assert "None" not in text and "{{" not in text and "{%" not in text
        assert "  " not in text and "\n\n" not in text, repr(text)


@pytest.mark.parametrize(("message", "locale"), SMS)
def test_sms_texts_fit_their_segments(message: str, locale: str) -> None:
    limit = manifest()[message]["sms_max_segments"]
    for sample in samples(message):
        text = render_message(message, "sms", locale, sample)
        encoding, segments = sms_segments(text)
        assert segments <= limit, f"{encoding}, {segments} segments > {limit}: {text!r}"


@pytest.mark.parametrize(("message", "locale"), SMS)
def test_sms_texts_are_plain(message: str, locale: str) -> None:
    """No emoji, and no no-break spaces from the date and money formats (they force UCS-2)."""
    for sample in samples(message):
        text = render_message(message, "sms", locale, sample)
        assert "\xa0" not in text and "\u202f" not in text
        assert all(ord(char) < 0x2000 or char in GSM7_EXTENSION for char in text), text


@pytest.mark.parametrize("locale", SUPPORTED)
def test_the_notifiers_sms_stay_in_gsm_7(locale: str) -> None:
    """Sent in bulk: written without á í ó ú, Catalan's "l·l" and "’" or "ç", so that they go at 160/153
    characters a segment in every language."""
    for message in NOTIFIER:
        for sample in samples(message):
            text = render_message(message, "sms", locale, sample)
            assert sms_segments(text)[0] == GSM7, text


# --- WhatsApp --------------------------------------------------------------------------


@pytest.mark.parametrize("message", sorted(manifest()))
def test_every_message_is_a_session_reply_or_an_approved_template(message: str) -> None:
    spec = manifest()[message]["whatsapp"]
    if message in NOTIFIER:
        assert not is_session_reply(message)
        for locale in manifest()[message]["locales"]:
            assert re.fullmatch(
                rf"TWILIO_CONTENT_SID_{message.upper()}_{locale.upper()}", content_sid_env(message, locale)
            )
        assert sorted(spec["content_variables"], key=int) == [
            str(n) for n in range(1, len(spec["content_variables"]) + 1)
        ]
    else:
        assert spec == {"session": True}


@pytest.mark.parametrize(("message", "locale"), TEMPLATED)
def test_whatsapp_templates_use_only_their_content_variables(message: str, locale: str) -> None:
    used = meta.find_undeclared_variables(environment().parse(_source(message, "whatsapp", locale))) - {"locale"}
    mapped = set(manifest()[message]["whatsapp"]["content_variables"].values())
    assert used == mapped, used ^ mapped
    assert mapped <= set(manifest()[message]["variables"])


@pytest.mark.parametrize(("message", "locale"), TEMPLATED)
def test_no_sample_leaves_a_content_variable_empty(message: str, locale: str) -> None:
    mapping = manifest()[message]["whatsapp"]["content_variables"]
    for sample in samples(message):
        assert all(sample[name] not in (None, "", [], {}) for name in mapping.values()), sample
        values = content_variables(message, locale, sample)
        assert list(values) == sorted(mapping, key=int)
        for value in values.values():
            assert value.strip() and value != "None" and "\n" not in value and "    " not in value


@pytest.mark.parametrize(("message", "locale"), TEMPLATED)
def test_what_twilio_sends_is_what_the_renderer_renders(message: str, locale: str) -> None:
    body = approved_body(message, locale)
    assert len(body) <= 1024
    for sample in samples(message):
        values = content_variables(message, locale, sample)
        filled = re.sub(r"\{\{(\d+)\}\}", lambda match, values=values: values[match.group(1)], body)
        assert filled == render_message(message, "whatsapp", locale, sample)


WORDS = '{% import "messages/_words.en.j2" as words with context %}\n'


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "{% if days_late > 3 %}Very late: {% endif %}{{ number }}, {{ promised_date | date }}, {{ days_late }}.",
            "blocks",
        ),
        ("Your parcel {{ number }} was due on {{ promised_date | date }} and costs {{ owed_amount }}.", "exactly one"),
        ("Your parcel {{ number ~ promised_date }}, {{ days_late }} days late.", "exactly one"),
        ("Your parcel {{ number }} is late.", "must appear"),
        ("Parcel {{ number }} ({{ number }}), due {{ promised_date | date }}, {{ days_late }} days late.", "twice"),
        (
            "{{ number }} was due on {{ promised_date | date }} and is {{ words.days(days_late) }} late.",
            "starts or ends",
        ),
        (
            "Your parcel was due on {{ promised_date | date }}, {{ words.days(days_late) }} late: {{ number }}.",
            "starts or ends",
        ),
        (
            "Your parcel {{ number }} {{ promised_date | date }} is {{ words.days(days_late) }} late.",
            "nothing but spaces",
        ),
    ],
)
def test_a_template_that_cannot_be_approved_is_refused(source: str, reason: str) -> None:
    with pytest.raises(NotAnApprovedTemplate, match=reason):
        approved_body("promise_broken", "en", WORDS + source)


def test_an_approvable_template_gives_its_body_and_values() -> None:
    source = WORDS + "Parcel {{ number }}: due {{ promised_date | date }}, {{ words.days(days_late) }} late. Sorry!"
    assert approved_body("promise_broken", "en", source) == "Parcel {{1}}: due {{2}}, {{3}} late. Sorry!"
    sample = samples("promise_broken")[3]
    assert content_variables("promise_broken", "en", sample, source) == {
        "1": "LP00012345678913",
        "2": "November 26, 2026",
        "3": "1 day",
    }


def test_an_empty_content_variable_is_refused_before_twilio_sees_it() -> None:
    sample = {**samples("compensation_granted")[0], "reference": ""}
    with pytest.raises(ValueError, match="empty"):
        content_variables("compensation_granted", "es", sample)


def test_the_compensation_reads_as_the_marketers_wrote_it() -> None:
    sample = samples("compensation_granted")[0]
    assert "con 3,00\xa0€ en un cupón (ref. C-7K3M9Q2X)" in render_message("compensation_granted", "web", "es", sample)
    assert "con 3,00\xa0€ en forma de cupón (ref. C-7K3M9Q2X)" in render_message(
        "compensation_granted", "whatsapp", "es", sample
    )
    assert content_variables("compensation_granted", "en", sample) == {
        "1": "LP00000000000002",
        "2": "€3.00",
        "3": "coupon",
        "4": "C-7K3M9Q2X",
    }
    # The approved template shows euros: a sample in another currency would need its own template.
    assert {sample["currency"] for sample in samples("compensation_granted")} == {"EUR"}


@pytest.mark.parametrize(("message", "channel", "locale"), RENDERED)
def test_every_shipped_template_passes_the_editors_checks(message: str, channel: str, locale: str) -> None:
    validation = pytest.importorskip("templates.validation")
    assert validation.validate(message, channel, locale, _source(message, channel, locale)) == []


# --- SMS segments ----------------------------------------------------------------------


def test_gsm_7_has_its_128_characters_and_ten_extensions() -> None:
    assert len(GSM7_BASIC) == 127  # and the escape to the extension table
    assert len(GSM7_EXTENSION) == 10
    assert set("ñÑ¿¡éüàòùìèÉÇ") <= GSM7_BASIC
    assert not set("áíóúçÁÍÓÚ") & GSM7_BASIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (GSM7, 0)),
        ("a" * 160, (GSM7, 1)),
        ("a" * 161, (GSM7, 2)),
        ("a" * 306, (GSM7, 2)),
        ("a" * 307, (GSM7, 3)),
        ("€" * 80, (GSM7, 1)),  # two septets each
        ("€" * 81, (GSM7, 2)),
        ("a" * 158 + "€", (GSM7, 1)),
        ("a" * 159 + "€", (GSM7, 2)),
        ("a" * 152 + "€" + "a" * 10, (GSM7, 2)),  # the escape is never split from its character
        ("a" * 152 + "€" * 77 + "a", (GSM7, 3)),
        ("¿Qué tal? Ñandu", (GSM7, 1)),
        ("á", (UCS2, 1)),
        ("á" + "a" * 69, (UCS2, 1)),
        ("á" + "a" * 70, (UCS2, 2)),
        ("á" + "a" * 133, (UCS2, 2)),
        ("á" + "a" * 134, (UCS2, 3)),
        ("€" * 70, (GSM7, 1)),
        ("😀" * 35, (UCS2, 1)),  # a surrogate pair is two code units
        ("😀" * 36, (UCS2, 2)),
        ("a" * 66 + "😀", (UCS2, 1)),
        ("a" * 66 + "😀" + "a" * 4, (UCS2, 2)),  # 72 units: 66 + the pair carried over
        ("3,00\xa0€", (UCS2, 1)),  # Babel's no-break space is not GSM-7
        ("Col·lecta a Sabadell", (UCS2, 1)),  # Catalan's middle dot is not GSM-7
        ("Col.lecta a Sabadell", (GSM7, 1)),  # the way an SMS writes it
        ("l’enviament", (UCS2, 1)),  # the typographic apostrophe neither
        ("l'enviament", (GSM7, 1)),
        ("França", (UCS2, 1)),  # GSM-7 has Ç, not ç
        ("Çà i là", (GSM7, 1)),
        ("Ola! O teu paquete chegará mañá", (UCS2, 1)),  # Galician á
        ("Ola! O teu paquete chega mañan", (GSM7, 1)),  # ñ is GSM-7
        ("Kaixo! Zure paketea bidean dago, 2,00 € itzuliko dizugu", (GSM7, 1)),  # Basque: plain Latin and €
        ("l·l" * 23 + "a", (UCS2, 1)),  # 70 units
        ("l·l" * 23 + "ab", (UCS2, 2)),
    ],
)
def test_sms_segments(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected


def test_one_accent_turns_160_characters_into_three_segments() -> None:
    assert sms_segments("a" * 160) == (GSM7, 1)
    assert sms_segments("á" + "a" * 159) == (UCS2, 3)  # 67 + 67 + 26
