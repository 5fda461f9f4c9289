"""Which language a shopper writes in, from one message: Spanish, Catalan, Galician, Basque or English.

The words are read by py3langid (langid.py's model, shipped inside its wheel), restricted to the languages we
speak; ``bench/language_id.py`` compares it with the alternatives on our own messages and says why it is the
one. A message that carries no signal ("ok", a tracking number, one word several of our languages share) gives
None, and the conversation keeps the language it had.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

SUPPORTED = ("es", "en", "ca", "gl", "eu")  # every language the catalogue and the assistant speak
DEFAULT_LANGUAGE = "es"  # the market's, when nothing tells
NAMES = {"es": "Español", "en": "English", "ca": "Català", "gl": "Galego", "eu": "Euskara"}

# How sure the model must be before a message sets the language: a single word must be nearly certain (one
# that several of our languages share, such as "hola" or "vale", never is); longer messages need less. Chosen
# on tests/data/languages.yml: four words or more read right 99.4 in 100, shorter ones misread none.
ONE_WORD_CONFIDENCE = 0.9
SHORT_CONFIDENCE = 0.7  # two or three words
CONFIDENCE = 0.4  # four words or more (five languages: a guess alone would be 0.2)
_MAX_CHARS = 2_000  # what is read of one message: the start says the language

_WITH_DIGITS = re.compile(r"\S*\d\S*")  # tracking numbers, postal codes, amounts: no language in them
_WORD = re.compile(r"[^\W\d_]+(?:['’·.-][^\W\d_]+)*")


@cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def words_of(text: str) -> list[str]:
    """The words a language can be read from: no numbers, tracking numbers, emoji or punctuation."""
    return _WORD.findall(_WITH_DIGITS.sub(" ", text[:_MAX_CHARS]))


def ranked_languages(text: str) -> list[tuple[str, float]]:
    """Our languages by how likely ``text`` is in each, best first (probabilities summing to 1)."""
    return _ranked(words_of(text))


def _ranked(words: list[str]) -> list[tuple[str, float]]:
    if not words:
        return []
    return [(str(code), float(p)) for code, p in _identifier().rank(" ".join(words).lower())]


def detect_language(text: str) -> str | None:
    """The language of ``text`` (one of SUPPORTED), or None when the message does not tell."""
    words = words_of(text)
    if not words:
        return None
    code, confidence = _ranked(words)[0]
    needed = ONE_WORD_CONFIDENCE if len(words) == 1 else SHORT_CONFIDENCE if len(words) < 4 else CONFIDENCE
    return code if confidence >= needed else None


def language_hint(value: object) -> str | None:
    """A language named by a channel (``ca-ES``, ``en_GB``, ``ca-ES-valencia``...), if it is one we speak."""
    if not isinstance(value, str):
        return None
    code = re.split(r"[-_@.]", value.strip().lower(), maxsplit=1)[0]
    return code if code in SUPPORTED else None


# A shopper asking for a language names it: "en català, si us plau", "in English please", "euskaraz mesedez",
# "fala en galego", "en castellano por favor". Accents are optional, as shoppers type them.
_NAMED = {
    "es": r"castellano|espa[nñ]ol|spanish|castell[aà]|espanyol|gaztelania(?:z|ra)?|castel[aá]n",
    "en": r"english|ingl[eé]s|angl[eè]s|ingeles(?:ez|era|a)",
    "ca": r"catal[aà]|catal[aá]n|valencià|valenciano|katalan(?:ez|era|a)",  # "Valencia" alone is the city
    "gl": r"galego|gallego|galician|galiziera(?:z|ra)?",
    "eu": r"euskara(?:z|ra)?|euskera|eusquera|basque|vasco|basc",
}
_NAMED_RE = {code: re.compile(rf"(?<!\w)(?:{names})(?!\w)", re.IGNORECASE) for code, names in _NAMED.items()}
_ASKING_WORDS = 8  # longer messages that name a language are about something else


def requested_language(text: str) -> str | None:
    """The language a short message asks the conversation to switch to, if it names exactly one."""
    if len(words_of(text)) > _ASKING_WORDS:
        return None
    named = [code for code, pattern in _NAMED_RE.items() if pattern.search(text[:_MAX_CHARS])]
    return named[0] if len(named) == 1 else None
