"""The blind sets stay blind: big enough, half off-topic, and none of them in the training data."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def examples(path: Path) -> list[tuple[str, str]]:
    """The intent examples of a Rasa training-data file (none in a file of rules or stories)."""
    items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", [])
    return [
        (line.strip()[2:].strip(), item["intent"])
        for item in items
        if "intent" in item
        for line in item["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def normalised(text: str) -> str:
    """Case, accents and punctuation aside: "¡Hola!" and "hola" are the same message."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return re.sub(r"[^\w]+", " ", text).strip() or text


# each blind set, per language, and the messages it holds at least; the second set is Spanish and English only
SETS = {
    ("blind", "es"): 600,
    ("blind", "en"): 600,
    ("blind2", "es"): 350,
    ("blind2", "en"): 350,
    **{("blind", lang): 300 for lang in ("ca", "gl", "eu")},
}


@pytest.mark.parametrize(("name", "lang"), SETS)
def test_each_blind_set_is_big_enough_and_half_off_topic(name: str, lang: str) -> None:
    blind = examples(ROOT / f"tests/nlu/{name}_{lang}.yml")
    counts = Counter(intent for _, intent in blind)
    assert len(blind) >= SETS[name, lang]
    assert counts["out_of_scope"] >= len(blind) / 2
    assert len({normalised(text) for text, _ in blind}) == len(blind), "a message appears twice"


@pytest.mark.parametrize(("name", "lang"), SETS)
def test_no_blind_message_is_trained_on(name: str, lang: str) -> None:
    blind = {normalised(text) for text, _ in examples(ROOT / f"tests/nlu/{name}_{lang}.yml")}
    trained = {normalised(text) for path in (ROOT / "data").rglob("*.yml") for text, _ in examples(path)}
    assert not blind & trained, sorted(blind & trained)[:10]
