"""Which language a shopper writes in (Spanish or English), from the words of one message.

Short messages often carry no signal ("ok", a tracking number): then the answer is
None and the conversation keeps the language it had.
"""

from __future__ import annotations

import re
import unicodedata

SPANISH_WORDS = frozenset(
    """
    a al algo alguien alguna aqui aun ayer ayuda bien buenas buenos busco como con cual cuando cuanto de del
    dice dias dime donde dnd el ella en entonces entrega entregado entregar envio enviado es esta estan
    este esto favor gracias hablar hace han has hasta hay hola hoy la las le lo los llega llegado llegar
    llegara mas me mi mio mis muchas mucho nada necesito ni no nos numero o paquete para pedido pero persona por
    porfa porque pq puede puedes q que quien quiero se seguimiento ser si sigue sin su sus tambien tarda
    tengo todavia todo tu un una usted vale ya adios chao hasta luego mañana semana eres robot maquina
    humano aduana aduanas reparto repartidor mensajero correos retraso tarde compensacion reclamar
    reclamacion devolucion devuelto recibido recogida cuanto cuando donde estoy oye tio xq tb pls porfavor
    buenas noches tardes mañanas saludos ok vale perfecto genial estupendo muchisimas
    """.split()  # noqa: SIM905
)
ENGLISH_WORDS = frozenset(
    """
    a about am an and any anyone are arrive arrived arriving at be been bye can cheers could day days
    delivered delivery did do does dont for from get good got has have hello help hey hi how i im is it its
    it's just know late let me morning my no not now of on order package parcel please pls plz received
    shipment shipped should still thank thanks thx the there this to track tracking u ur want was week
    what whats when where wheres which who why will with would yet you your afternoon evening bot human
    person real robot customs courier refund compensation claim returned stuck waiting number see later
    goodbye great awesome ok okay cool
    """.split()  # noqa: SIM905
)
_SHARED = SPANISH_WORDS & ENGLISH_WORDS
_WORD = re.compile(r"[a-zñ']+")


def _plain(text: str) -> str:
    """Lower case without accents (but keeping ñ), the way many shoppers type anyway."""
    text = text.lower().replace("ñ", "\0")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return text.replace("\0", "ñ")


def detect_language(text: str) -> str | None:
    """The language of ``text``: "es", "en", or None when the message does not tell."""
    score = 0
    if any(mark in text for mark in "¿¡ñÑáéíóúÁÉÍÓÚ"):
        score += 2
    for word in _WORD.findall(_plain(text)):
        if word in _SHARED:
            continue
        if word in SPANISH_WORDS:
            score += 1
        elif word in ENGLISH_WORDS:
            score -= 1
    if score > 0:
        return "es"
    if score < 0:
        return "en"
    return None


def language_hint(value: object) -> str | None:
    """A language named by a channel (``es-ES``, ``en_GB``...), if it is one we speak."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower()[:2]
    return code if code in {"es", "en"} else None
