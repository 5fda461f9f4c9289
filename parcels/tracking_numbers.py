"""Tracking numbers: UPU S10 (``RR123456785CN``) and the carrier's ``LP`` + 14 digits.

Shoppers paste numbers with spaces, dashes and any case, and phones type full-width or
other scripts' digits; all of it is normalised (NFKC, every decimal digit to ASCII) before a
number is matched, so one parcel has one number. A number with a wrong S10 check digit or
the wrong length is reported as such so the assistant can say so.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)

_SEP = r"[\s\-.]?"
# Loose shapes, so that a mistyped number is recognised as an attempt at one. ASCII only: the text is normalised first.
_S10_LOOSE = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z]{{2}}){_SEP}((?:[0-9]{_SEP}){{7,10}}[0-9]){_SEP}([A-Za-z]{{2}})(?![A-Za-z0-9])",
    re.ASCII,
)
_LP_LOOSE = re.compile(
    rf"(?<![A-Za-z0-9])(LP){_SEP}((?:[0-9]{_SEP}){{9,17}}[0-9])(?![A-Za-z0-9])", re.IGNORECASE | re.ASCII
)
_SEPARATORS = re.compile(r"[\s\-.]")


class Problem(enum.StrEnum):
    CHECK_DIGIT = "check_digit"
    LENGTH = "length"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A tracking number found in text: normalised, with what is wrong with it if anything."""

    number: str
    problem: Problem | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an eight-digit serial number."""
    if len(serial) != 8 or not (serial.isascii() and serial.isdigit()):
        raise ValueError(f"an S10 serial has eight digits, got {serial!r}")
    remainder = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return {10: 0, 11: 5}.get(check, check)


def normalise(text: str) -> str:
    """The text as the matcher reads it: NFKC (full-width letters and digits become ASCII), then every other
    decimal digit (Arabic-Indic, Devanagari...) as its ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text)


def validate(number: str) -> Candidate:
    """Normalise one number and say whether it is a valid S10 or LP number."""
    number = normalise(number)
    found = find_tracking_numbers(number)
    if len(found) == 1 and _SEPARATORS.sub("", number).upper() == found[0].number:
        return found[0]
    return Candidate(_SEPARATORS.sub("", number).upper(), Problem.LENGTH)


def find_tracking_numbers(text: str) -> list[Candidate]:
    """Every tracking number in free text, in order of appearance, without repeats."""
    text = normalise(text)
    hits: list[tuple[int, Candidate]] = []
    for match in _LP_LOOSE.finditer(text):
        digits = _SEPARATORS.sub("", match.group(2))
        number = "LP" + digits
        hits.append((match.start(), Candidate(number, None if len(digits) == 14 else Problem.LENGTH)))
    lp_spans = [m.span() for m in _LP_LOOSE.finditer(text)]
    for match in _S10_LOOSE.finditer(text):
        if any(start <= match.start() < end for start, end in lp_spans):
            continue
        prefix, digits, country = match.group(1).upper(), _SEPARATORS.sub("", match.group(2)), match.group(3).upper()
        number = f"{prefix}{digits}{country}"
        if len(digits) != 9:
            problem: Problem | None = Problem.LENGTH
        elif s10_check_digit(digits[:8]) != int(digits[8]):
            problem = Problem.CHECK_DIGIT
        else:
            problem = None
        hits.append((match.start(), Candidate(number, problem)))
    seen: set[str] = set()
    result = []
    for _, candidate in sorted(hits, key=lambda hit: hit[0]):
        if candidate.number not in seen:
            seen.add(candidate.number)
            result.append(candidate)
    return result


def make_s10(prefix: str, serial: int, country: str) -> str:
    """Build a valid S10 number, e.g. for demo data."""
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}{country}"
