"""Class 2: one long message stalls nobody. Every channel refuses a message longer than 1,600 characters
before the NLU and asks, in the shopper's language, for a shorter one; a shopper cannot choose an intent
with a leading ``/``. The figures (time of a 100 kB message's answer, the rasa process's memory before and
after it) are printed by ``bench/long_message.py``."""

from __future__ import annotations

import uuid

import pytest

from tests.processes import Stack, rss_mib
from tests.web_chat import web_chat

pytestmark = pytest.mark.e2e

HUNDRED_KB = ("donde esta mi paquete " * 5000)[:100_000]
JUST_TOO_LONG = "x" * 1601
TOO_LONG_ES, TOO_LONG_EN = "demasiado largo", "too long"


def sender() -> str:
    return f"long-{uuid.uuid4().hex[:8]}"


def test_a_hundred_kilobytes_over_rest_is_refused_before_the_nlu(stack: Stack) -> None:
    before = rss_mib(stack.pids["rasa"])
    [answer] = stack.chat(sender(), HUNDRED_KB, {"language": "es"})
    assert TOO_LONG_ES in answer
    assert rss_mib(stack.pids["rasa"]) - before < 100, "the message reached something heavy"


def test_the_limit_is_twilios_and_a_message_at_it_is_read(stack: Stack) -> None:
    shopper = sender()
    [refused] = stack.chat(shopper, JUST_TOO_LONG, {"language": "en"})
    assert TOO_LONG_EN in refused
    read = stack.chat(shopper, "hello " + "a" * 1594)
    assert read and TOO_LONG_EN not in read[0]


def test_the_refusal_is_in_the_conversations_language(stack: Stack) -> None:
    shopper = sender()
    stack.chat(shopper, "hello there, good morning")
    [answer] = stack.chat(shopper, JUST_TOO_LONG)
    assert TOO_LONG_EN in answer


def test_a_long_whatsapp_message_is_refused(stack: Stack) -> None:
    response = stack.whatsapp("whatsapp:+34612000222", "hola, " + "a" * 2000)
    assert response.status_code == 200
    assert TOO_LONG_ES in response.text


async def test_a_long_web_chat_message_is_refused(stack: Stack) -> None:
    async with web_chat(stack.rasa_url) as chat:
        await chat.session()
        answer = await chat.say(JUST_TOO_LONG * 5, metadata={"language": "en"})
    assert TOO_LONG_EN in answer["text"]


def test_a_shopper_cannot_choose_an_intent_with_a_slash(stack: Stack) -> None:
    shopper = sender()
    stack.chat(shopper, "hola")
    stack.chat(shopper, '/restart{"claim_ready": true}')
    events = stack.tracker(f"rest:{shopper}")["events"]
    assert not any(e["event"] == "restart" for e in events)
    [typed] = [e for e in events if e["event"] == "user" and "restart" in (e.get("text") or "")]
    assert not typed["text"].startswith("/")
