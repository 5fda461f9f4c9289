"""References a shopper can read out and an agent can type back: a letter for what it names (``C-`` a claim,
``H-`` a request to be attended by a person, ``P-`` a request about a shopper's data), then eight characters
from an alphabet without look-alikes (0/O, 1/I/L)."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CLAIM = "C"
REQUEST = "H"
PRIVACY = "P"
PURGE = "R"  # a day's purge of what is past its time: R-20261206


def new_reference(kind: str) -> str:
    return f"{kind}-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


def is_reference(text: str, kind: str) -> bool:
    """Whether ``text`` has the shape of a reference of ``kind`` (it may still name nothing)."""
    return re.fullmatch(f"{kind}-[{ALPHABET}]{{8}}", text) is not None
