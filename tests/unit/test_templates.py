from pathlib import Path

import pytest

from templates.manifest import manifest, samples
from templates.renderer import TEMPLATES_DIR, MissingTemplate, message_path, render_message, render_page

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
