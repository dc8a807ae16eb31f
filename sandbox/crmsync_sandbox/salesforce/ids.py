"""Salesforce record ids: 15-char case-sensitive ids and their 18-char case-safe form."""

from __future__ import annotations

import re

#: Alphabet of the 18-char case suffix: one character per 5-bit uppercase mask.
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
#: Base-62 digits, decimal digits first so that small counters read like numbers.
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")
#: Characters after the 3-char key prefix in a 15-char id.
_COUNTER_WIDTH = 12

#: The sandbox org's id (15 chars); access tokens start with it.
ORG_ID_15 = "00D000000000001"


def case_suffix(id15: str) -> str:
    """Return the 3-char suffix that makes a 15-char id case-insensitive.

    Args:
        id15: a 15-char id.

    Returns:
        Three characters from ``A-Z0-5``.
    """
    suffix = []
    for block in range(3):
        mask = 0
        for bit, char in enumerate(id15[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                mask |= 1 << bit
        suffix.append(_SUFFIX_ALPHABET[mask])
    return "".join(suffix)


def to_18(value: str) -> str:
    """Return the 18-char form of a 15- or 18-char id (the 18-char input is re-derived)."""
    id15 = value[:15]
    return id15 + case_suffix(id15)


def make_id(prefix: str, counter: int) -> str:
    """Return the 18-char id number ``counter`` of the key prefix ``prefix``."""
    digits = []
    while counter:
        counter, rem = divmod(counter, 62)
        digits.append(_BASE62[rem])
    body = "".join(reversed(digits)).rjust(_COUNTER_WIDTH, "0")
    return to_18(prefix + body)


def normalize(value: object) -> str | None:
    """Return the canonical 18-char id for a 15/18-char input, or ``None`` if malformed.

    An 18-char id is case-insensitive: its suffix restores the case of the first 15 chars.
    """
    if not isinstance(value, str) or not _ID_RE.match(value):
        return None
    if len(value) == 15:
        return to_18(value)
    chars = []
    for block in range(3):
        mask = _SUFFIX_ALPHABET.find(value[15 + block].upper())
        if mask < 0:
            return None
        for bit, char in enumerate(value[block * 5 : block * 5 + 5]):
            chars.append(char.upper() if mask & (1 << bit) else char.lower())
    id15 = "".join(chars)
    if case_suffix(id15) != value[15:].upper():
        return None
    return id15 + case_suffix(id15)


ORG_ID = to_18(ORG_ID_15)


def counter_of(record_id: str) -> int:
    """Return the counter an id was made from by :func:`make_id` (inverse of it)."""
    value = 0
    for char in record_id[3:15].lstrip("0"):
        value = value * 62 + _BASE62.index(char)
    return value
