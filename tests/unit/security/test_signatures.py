"""The proofs only our channels can make (class 1), and the screening every channel applies (class 2): the
connectors' side (``bot/``, standard library only) and the app's side (``parcels/``) agree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import identity
from bot.screening import MAX_MESSAGE_CHARS, REFUSED_MESSAGE, screened
from parcels import signatures

PARTS = st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40)


@given(secret=st.text(min_size=1, max_size=40), parts=st.lists(PARTS, min_size=1, max_size=3))
def test_the_connectors_proofs_are_the_apps(secret: str, parts: list[str]) -> None:
    for bot_purpose, app_purpose in (
        (identity.CHAT_SESSION, signatures.CHAT_SESSION),
        (identity.WHATSAPP_SENDER, signatures.WHATSAPP_SENDER),
    ):
        assert bot_purpose == app_purpose
        proof = identity.sign(secret, bot_purpose, *parts)
        assert proof == signatures.sign(secret, app_purpose, *parts)
        assert signatures.verify(secret, proof, app_purpose, *parts)


def test_a_proof_is_for_its_purpose_its_parts_and_its_secret() -> None:
    proof = signatures.sign("s", signatures.WHATSAPP_SENDER, "whatsapp:+34600000001", "SM1")
    assert not signatures.verify("s", proof, signatures.CHAT_SESSION, "whatsapp:+34600000001", "SM1")
    assert not signatures.verify("s", proof, signatures.WHATSAPP_SENDER, "whatsapp:+34600000002", "SM1")
    assert not signatures.verify("t", proof, signatures.WHATSAPP_SENDER, "whatsapp:+34600000001", "SM1")
    assert not signatures.verify(None, proof, signatures.WHATSAPP_SENDER, "whatsapp:+34600000001", "SM1")
    assert not signatures.verify("s", ["not", "text"], signatures.WHATSAPP_SENDER, "whatsapp:+34600000001", "SM1")
    assert not signatures.verify("s", "é" * 64, signatures.WHATSAPP_SENDER, "whatsapp:+34600000001", "SM1")
    assert not identity.verify("s", "\ud800" * 64, identity.CHAT_SESSION, "web-" + "0" * 32)
    with pytest.raises(ValueError):  # "a\\nb" + "c" must not sign like "a" + "b\\nc"
        signatures.sign("s", signatures.CHAT_SESSION, "a\nb", "c")


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("/restart", "restart"),
        ('//claim_compensation{"claim_ready": true}', 'claim_compensation{"claim_ready": true}'),
        ("  hola  ", "hola"),
        (None, ""),
        (["a"], ""),
    ],
)
def test_a_shopper_cannot_choose_an_intent(text: object, read: str) -> None:
    assert screened(text) == (read, {})


def test_a_message_over_the_limit_never_reaches_the_nlu() -> None:
    assert screened("a" * MAX_MESSAGE_CHARS)[0] == "a" * MAX_MESSAGE_CHARS
    text, metadata = screened("a" * (MAX_MESSAGE_CHARS + 1), {"language": "en"})
    assert text == REFUSED_MESSAGE
    assert metadata == {"language": "en", "refused": "too_long", "length": 1601, "excerpt": "a" * 280}
