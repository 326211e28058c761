"""Parsing one cell of a given contract type: a value, or the rule it breaks."""

from __future__ import annotations

import datetime as dt
import re

from transforms.workbook import contract as c
from transforms.workbook.names import normalise, pad_code, strip_invisible
from transforms.workbook.reader import is_blank

Parsed = tuple[object, str | None]  # (value, rule code of the problem or None)

# ASCII digits only: fullwidth or Arabic-Indic digits are not what the officer typed in Excel
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_WHOLE = re.compile(r"^[+-]?[0-9]+$")
# The warehouse stores counts as INTEGER; anything larger is a typing error.
MAX_COUNT = 2_147_483_647


def parse_count(value: object, *, blank_is_error: bool = False) -> Parsed:
    """Return a count >= 0 ('3', 3.0 and ' 3 ' are 3; blank is 0) or the rule broken."""
    # most cells are numbers, whole and in range: settled first (a national year has
    # about 400,000 count cells)
    least = 1 if blank_is_error else 0
    if type(value) is float and value.is_integer() and least <= value <= MAX_COUNT:
        return int(value), None
    if is_blank(value):
        return (None, "villages_total_invalid") if blank_is_error else (0, None)
    if isinstance(value, bool):
        return None, "count_not_number"
    if isinstance(value, int):
        number: int | float = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else value
    else:
        text = strip_invisible(str(value)).strip()
        if not _NUMBER.match(text):
            return None, "count_not_number"
        # whole text is parsed exactly: float() would lose digits of long numbers
        number = int(text) if _WHOLE.match(text) else float(text)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
    if number < 0:
        return None, "count_negative"
    if isinstance(number, float):
        return None, "count_not_whole"
    if number > MAX_COUNT:
        return None, "count_too_large"
    if blank_is_error and number < 1:
        return None, "villages_total_invalid"
    return number, None


def parse_yesno(value: object, *, tick_column: bool = False) -> Parsed:
    """Return True/False from Có/Không, Yes/No, x, 1/0, TRUE/FALSE, or the rule broken."""
    if is_blank(value):
        return (False, None) if tick_column else (None, "yesno_blank")
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value), None
        return None, "yesno_invalid"
    n = normalise(value)
    if n in c.YES:
        return True, None
    if n in c.NO:
        return False, None
    return None, "yesno_invalid"


def is_tick_column(values: list[object]) -> bool:
    """Return True when every non-blank cell of a column is a tick mark 'x'."""
    filled = [v for v in values if not is_blank(v)]
    return bool(filled) and all(normalise(v) == "x" for v in filled)


def parse_enum(value: object, column: c.Column) -> Parsed:
    """Return the enum key a label or abbreviation stands for, or the rule broken."""
    if is_blank(value):
        return None, "enum_blank"
    key = column.enum_lookup.get(normalise(value))
    return (key, None) if key else (None, "enum_invalid")


def enum_choices(column: c.Column) -> str:
    """Return the accepted values of an enum column, as an officer would write them."""
    return ", ".join(labels[0] for _, labels in column.values)


def parse_code(value: object, width: int) -> Parsed:
    """Return a zero-padded code, or code_invalid."""
    code = pad_code(value, width)
    return (code, None) if code else (None, "code_invalid")


def hidden_characters_note(value: object) -> str:
    """Return a note for a message when a value carries invisible characters."""
    if isinstance(value, str) and strip_invisible(value) != value:
        return " (it contains hidden characters: retype it)"
    return ""


def parse_year(value: object, first: int, last: int) -> Parsed:
    """Return an integer year in [first, last], or info_invalid."""
    if isinstance(value, bool) or is_blank(value):
        return None, "info_invalid"
    text = strip_invisible(str(value)).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isdigit() or not first <= int(text) <= last:
        return None, "info_invalid"
    return int(text), None


def parse_date(value: object) -> Parsed:
    """Return a date from a date cell or dd/mm/yyyy or yyyy-mm-dd text, or info_invalid."""
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date(), None
        except ValueError:
            continue
    return None, "info_invalid"
