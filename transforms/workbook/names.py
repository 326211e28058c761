"""Name normalisation and code padding, as the workbook contract defines them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Marks that are invisible in a spreadsheet yet change a code: zero-width
# characters, direction marks, the BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad"),
    None,
)


def strip_invisible(text: str) -> str:
    """Return text without zero-width and bidirectional control characters."""
    return text.translate(_INVISIBLE)


def normalise(text: object) -> str:
    """Return the matching form of a name: no diacritics, lower case, words joined by one space."""
    if text is None:
        return ""
    return _normalise(str(text))


@lru_cache(maxsize=1 << 16)
def _normalise(text: str) -> str:
    # cached: the same labels and values ("Có", "Khá", headers) recur in every file
    s = unicodedata.normalize("NFD", strip_invisible(text))
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = s.replace("đ", "d").replace("Đ", "d").lower()
    return _NON_ALNUM.sub(" ", s).strip()


def pad_code(value: object, width: int) -> str | None:
    """Return a GSO code left-padded to width digits, or None when it is not a code.

    Accepts ints, whole floats (26.0 from a numeric cell) and text such as
    "026" or "'03721" (Excel's text prefix).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer() or value < 0:
            return None
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            return None
        s = str(value)
    else:
        # Invisible marks are not stripped here: a code carrying them is not
        # readable with certainty, and the reader reports it.
        s = str(value).strip().lstrip("'").strip()
        if s.endswith(".0") and s[:-2].isdigit():
            s = s[:-2]
    if not s or not s.isascii() or not s.isdigit() or len(s) > width:
        return None
    return s.zfill(width)
