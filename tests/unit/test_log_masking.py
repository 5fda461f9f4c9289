"""Log lines hold no full phone number or email address, whatever logger, handler or traceback carries them."""

from __future__ import annotations

import logging

import pytest

from parcels import log_masking


@pytest.fixture
def masking():  # type: ignore[no-untyped-def]
    before = logging.getLogRecordFactory()
    log_masking.install()
    log_masking.install()  # twice: still one mask
    yield
    logging.setLogRecordFactory(before)


def test_phones_and_emails_are_masked_in_messages_and_tracebacks(masking, caplog) -> None:  # type: ignore[no-untyped-def]
    log = logging.getLogger("parcels.test")
    with caplog.at_level(logging.INFO):
        log.info("could not reach %s (%s) about %s", "whatsapp:+34612345678", "Ana.Lopez@example.com", "LP0001")
        try:
            raise ValueError("no such recipient +447700900123")
        except ValueError:
            log.exception("sending failed")
    first, second = caplog.records
    assert first.getMessage() == "could not reach whatsapp:+346•••••678 (A•••@example.com) about LP0001"
    assert "+447••••••123" in second.exc_text and "+447700900123" not in second.exc_text


def test_what_is_not_a_phone_or_an_email_is_left_as_it_is(masking, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO):
        logging.getLogger("parcels.test").info("order 612345678, pass 1234567, +34 tomorrow, %d%%", 95)
    assert caplog.records[0].getMessage() == "order 612345678, pass 1234567, +34 tomorrow, 95%"
    assert log_masking.masked("user@localhost") == "user@localhost"
