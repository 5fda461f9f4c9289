from datetime import date
from pathlib import Path

import pytest

from templates.manifest import manifest, samples
from templates.renderer import TEMPLATES_DIR, MissingTemplate, message_path, render_message, render_page, render_source

CASES = [
    (message, channel, locale)
    for message, spec in manifest().items()
    for channel in spec["channels"]
    for locale in spec["locales"]
]


@pytest.mark.parametrize(("message", "channel", "locale"), CASES)
def test_every_template_renders_every_sample(message: str, channel: str, locale: str) -> None:
    assert Path(TEMPLATES_DIR / message_path(message, channel, locale)).is_file()
    for sample in samples(message):
        text = render_message(message, channel, locale, sample)
        if sample.get("number"):  # a message about a parcel names it
            assert sample["number"] in text
        assert "None" not in text and "{{" not in text


def test_dates_and_times_are_formatted_in_the_locale_and_the_destination_zone() -> None:
    sample = samples("parcel_status")[0]
    spanish = render_message("parcel_status", "web", "es", sample)
    english = render_message("parcel_status", "web", "en", sample)
    assert "6 de diciembre de 2026" in spanish
    assert "20 de noviembre de 2026, 7:05" in spanish  # 06:05 UTC is 07:05 in Madrid
    assert "December 6, 2026" in english


def test_an_unknown_locale_falls_back_to_the_market_default() -> None:
    sample = samples("parcel_status")[0]
    assert render_message("parcel_status", "web", "fr", sample) == render_message("parcel_status", "web", "es", sample)


def test_a_missing_variable_is_an_error_not_a_blank() -> None:
    sample = dict(samples("parcel_status")[0])
    del sample["promised_date"]
    with pytest.raises(Exception, match="promised_date"):
        render_message("parcel_status", "web", "es", sample)


def test_a_missing_message_is_reported() -> None:
    with pytest.raises(MissingTemplate):
        render_message("no_such_message", "web", "es", {})


def test_the_chat_page_escapes_what_it_is_given() -> None:
    html = render_page("chat", "en", {"rasa_url": '"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in html
    assert 'lang="en"' in html


@pytest.mark.parametrize(
    ("locale", "day", "long", "day_and_month", "money"),
    [
        ("es", date(2026, 12, 9), "9 de diciembre de 2026", "9 de diciembre", "2,00\xa0€"),
        ("en", date(2026, 12, 9), "December 9, 2026", "December 9", "€2.00"),
        ("ca", date(2026, 12, 9), "9 de desembre de 2026", "9 de desembre", "2,00\xa0€"),
        ("ca", date(2026, 4, 9), "9 d’abril de 2026", "9 d’abril", "2,00\xa0€"),
        ("gl", date(2026, 12, 9), "9 de decembro de 2026", "9 de decembro", "2,00\xa0€"),
        ("eu", date(2026, 12, 9), "2026ko abenduaren 9a", "abenduaren 9a", "2,00\xa0€"),
        ("eu", date(2025, 3, 11), "2025eko martxoaren 11", "martxoaren 11", "2,00\xa0€"),
        ("eu", date(2030, 8, 1), "2030eko abuztuaren 1a", "abuztuaren 1a", "2,00\xa0€"),
    ],
)
def test_each_locale_writes_dates_and_money_as_a_local_shop_does(
    locale: str, day: date, long: str, day_and_month: str, money: str
) -> None:
    source = '{{ day | date }}|{{ day | date("day") }}|{{ amount | money }}'
    assert render_source(source, "any", "web", locale, {"day": day, "amount": "2.00"}).split("|") == [
        long,
        day_and_month,
        money,
    ]
