"""Excel cell references: column letters and indexes, the one conversion every module uses."""

from __future__ import annotations

import re

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def column_letter(index: int) -> str:
    """Return Excel's column letters for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Return the 0-based column index of Excel's column letters (A -> 0, AB -> 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_ref(row: int, index: int) -> str:
    """Return the reference of a cell from its Excel row and 0-based column index ("D7")."""
    return f"{column_letter(index)}{row}"


def split_ref(ref: str) -> tuple[str, int | None]:
    """Return the column letters and the row number of a cell reference ("$D$7" -> ("D", 7));
    a text that is no reference comes back whole, with no row."""
    m = _REF.match(ref)
    return (m.group(1).upper(), int(m.group(2))) if m else (ref, None)


def parse_ref(ref: str) -> tuple[int, int] | None:
    """Return the 0-based (row, column) of a cell reference, or None when it is not one."""
    letters, row = split_ref(ref)
    if row is None or row < 1:
        return None
    return row - 1, column_index(letters)
