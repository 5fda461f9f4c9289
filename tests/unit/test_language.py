import pytest

from parcels.language import detect_language, language_hint


@pytest.mark.parametrize(
    "text",
    [
        "hola",
        "¿dónde está mi paquete?",
        "dnd esta mi pedido",
        "cuando llega",
        "el pedido no ha llegado todavia",
        "gracias",
        "eres un robot?",
        "quiero hablar con una persona",
        "hasta luego",
    ],
)
def test_spanish(text: str) -> None:
    assert detect_language(text) == "es"


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "where is my parcel",
        "wheres my pakage",
        "when will it arrive",
        "thanks",
        "is this a bot",
        "my order hasn't arrived yet",
        "bye",
    ],
)
def test_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["LP00012345678901", "ok", "", "👍", "no"])
def test_messages_that_do_not_tell(text: str) -> None:
    assert detect_language(text) is None


def test_hints_from_channels() -> None:
    assert language_hint("en-GB") == "en"
    assert language_hint("es_ES") == "es"
    assert language_hint("fr") is None
    assert language_hint(None) is None
