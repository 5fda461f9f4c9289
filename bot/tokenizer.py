"""A whitespace tokenizer that shows the NLU a tracking number as one placeholder token.

The digits of a tracking number are noise to the featurizers (every number makes new
character n-grams); what matters is *that* the shopper wrote one. Tokens inside a
number ("LP 0001 2345 6789 01" is five) become one ``trackingnumber`` token, and the
other tokens lose their accents, as many shoppers type them anyway. The message text
itself is untouched: the actions still read the real number.
"""

import re
import unicodedata
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

PLACEHOLDER = "trackingnumber"
_SEP = r"[\s\-.]?"
# Loose shapes (mistyped numbers included), as in parcels/tracking_numbers.py.
TRACKING_NUMBER = re.compile(
    rf"(?<![A-Za-z0-9])(?:LP{_SEP}(?:\d{_SEP}){{9,17}}\d|[A-Za-z]{{2}}{_SEP}(?:\d{_SEP}){{7,10}}\d{_SEP}[A-Za-z]{{2}})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def fold_accents(text: Text) -> Text:
    text = text.replace("ñ", "\0").replace("Ñ", "\1")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return text.replace("\0", "ñ").replace("\1", "Ñ")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ShopperTokenizer(WhitespaceTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        text = message.get(attribute) or ""
        spans = [match.span() for match in TRACKING_NUMBER.finditer(text)]
        result: List[Token] = []
        current_span = None
        for token in tokens:
            span = next((s for s in spans if s[0] <= token.start < s[1]), None)
            if span is None:
                result.append(Token(fold_accents(token.text), token.start, token.end))
            elif span == current_span:
                result[-1].end = token.end
            else:
                result.append(Token(PLACEHOLDER, token.start, token.end))
            current_span = span
        return result
