"""Opt-out and opt-in keywords: is this whole message a STOP / BAJA / START / ALTA?

The words and the confirmations are data, in ``config/opt_out.yml``, so that the app side
(the notifier, the consent API) can read the same file. This module needs only PyYAML and
the standard library: it runs in the rasa env (the WhatsApp connector) and imports nothing
of the app.
"""

import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Text, Tuple, Union

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "opt_out.yml"
OPT_OUT = "opt_out"
OPT_IN = "opt_in"
ACTIONS = (OPT_OUT, OPT_IN)

_NOT_WORD = re.compile(r"[^a-z0-9ñ]+")


def normalize(text: Text) -> Text:
    """Lower case, no accents (ñ kept), punctuation and emoji as spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", text.replace("\0", "ñ")).strip()


@dataclass(frozen=True)
class Match:
    action: Text  # opt_out | opt_in
    language: Text  # the language of the first list the keyword is in
    keyword: Text  # the normalized phrase
    languages: Tuple[Text, ...] = ()  # every list it is in, first first


@dataclass(frozen=True)
class Keywords:
    # action -> language -> phrases
    phrases: Dict[Text, Dict[Text, FrozenSet[Text]]]

    def match(self, text: Text) -> Optional[Match]:
        """The keyword the whole message is, if it is one."""
        normalized = normalize(text)
        if not normalized:
            return None
        for action in ACTIONS:
            languages = tuple(lang for lang, phrases in self.phrases[action].items() if normalized in phrases)
            if languages:
                return Match(action, languages[0], normalized, languages)
        return None

    @staticmethod
    def in_language(match: Match, conversation_language: Optional[Text]) -> Match:
        """The match confirmed in the conversation's language when the keyword is one of that language's."""
        if conversation_language in match.languages and conversation_language != match.language:
            return replace(match, language=conversation_language)
        return match

    @staticmethod
    def response_name(match: Match) -> Text:
        """The domain.yml response that confirms it: ``utter_opted_out`` or ``utter_opted_in``."""
        return f"utter_{'opted_out' if match.action == OPT_OUT else 'opted_in'}"


def load(path: Union[Text, Path, None] = None) -> Keywords:
    """Read and check the keyword file; a mistake in it stops the server at start-up, not at STOP."""
    path = Path(path) if path else DEFAULT_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    phrases: Dict[Text, Dict[Text, FrozenSet[Text]]] = {}
    for action in ACTIONS:
        by_language = data.get(action) or {}
        if not by_language:
            raise ValueError(f"{path}: no {action} keywords")
        phrases[action] = {}
        for language, words in by_language.items():
            normalized = frozenset(normalize(str(word)) for word in words or [])
            if "" in normalized:
                raise ValueError(f"{path}: an empty {action} keyword for {language}")
            phrases[action][str(language)] = normalized
    out_words = frozenset().union(*phrases[OPT_OUT].values())
    in_words = frozenset().union(*phrases[OPT_IN].values())
    if out_words & in_words:
        raise ValueError(f"{path}: both opt-out and opt-in: {sorted(out_words & in_words)}")
    return Keywords(phrases)
