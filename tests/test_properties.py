"""Property-based tests (hypothesis): name matching, code padding, count parsing."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from transforms.workbook.cells import parse_count
from transforms.workbook.names import normalise, pad_code

# Vietnamese text: the 29 letters, the five tone marks, digits, spaces and punctuation.
BASES = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
VOWELS = set("aăâeêioôơuưy")
letters = st.builds(
    lambda base, tone, upper: unicodedata.normalize(
        "NFC", (base.upper() if upper else base) + (tone if base in VOWELS else "")
    ),
    st.sampled_from(BASES),
    st.sampled_from(TONES),
    st.booleans(),
)
vietnamese = st.lists(
    st.one_of(letters, st.sampled_from(list("0123456789 ,.-()/'\t"))), max_size=40
).map("".join)
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad"


def strip_marks(text: str) -> str:
    """Remove every combining mark (tones, breve, circumflex, horn): what a person types without
    diacritics."""
    return "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )


# --- name normalisation -----------------------------------------------------------------


@given(st.text())
def test_normalising_is_idempotent_on_any_text(text):
    assert normalise(normalise(text)) == normalise(text)


@given(st.text())
def test_normalised_names_are_lower_ascii_words_joined_by_one_space(text):
    n = normalise(text)
    assert n == n.strip() and "  " not in n
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") and not ch.isupper() for ch in n)


@given(st.text())
def test_nfc_and_nfd_spellings_normalise_alike(text):
    assert normalise(unicodedata.normalize("NFC", text)) == normalise(
        unicodedata.normalize("NFD", text)
    )


@given(vietnamese)
@example("Đồng Hới")
@example("Thị trấn Mường Tè")
def test_case_and_diacritics_do_not_matter(text):
    n = normalise(text)
    assert normalise(text.upper()) == n
    assert normalise(text.lower()) == n
    assert normalise(strip_marks(text).replace("đ", "d").replace("Đ", "D")) == n


@given(vietnamese)
def test_d_with_stroke_is_d(text):
    assert normalise(text.replace("d", "đ")) == normalise(text.replace("đ", "d"))
    assert normalise("Đ" + text) == normalise("d" + text)


@given(vietnamese, st.text(alphabet=INVISIBLE, min_size=1), st.integers(0, 40))
def test_invisible_marks_do_not_change_a_name(text, marks, at):
    assert normalise(text[:at] + marks + text[at:]) == normalise(text)


@given(vietnamese, st.text(alphabet=" \t\n-_.,;:/()", min_size=1))
def test_runs_of_separators_count_as_one_space(text, separators):
    words = text.split()
    assert normalise(separators.join(words)) == normalise(" ".join(words))


# --- code padding -----------------------------------------------------------------------


@given(st.integers(0, 99_999))
def test_commune_codes_round_trip_from_every_cell_type(n):
    code = f"{n:05d}"
    for value in (n, float(n), str(n), code, f"'{code}", f" {n} ", f"{n}.0"):
        assert pad_code(value, 5) == code, value
    assert int(pad_code(n, 5) or "x") == n


@given(st.integers(0, 99_999), st.integers(0, 4))
def test_text_codes_keep_their_value_whatever_the_leading_zeros(n, zeros):
    text = "0" * zeros + str(n)
    if len(text) <= 5:
        assert pad_code(text, 5) == f"{n:05d}"
    else:
        assert pad_code(text, 5) is None


@given(st.integers(100_000, 10**12))
def test_codes_longer_than_the_width_are_refused(n):
    assert pad_code(n, 5) is None and pad_code(str(n), 5) is None


@given(st.integers(1, 99_999))
def test_negative_codes_are_refused(n):
    assert pad_code(-n, 5) is None
    assert pad_code(float(-n), 5) is None
    assert pad_code(str(-n), 5) is None


@given(st.integers(0, 9_999), st.integers(0, 4), st.characters(categories=["L"]))
def test_a_letter_anywhere_makes_a_code_invalid(n, at, letter):
    text = f"{n:04d}"
    assert pad_code(text[:at] + letter + text[at:], 5) is None


@given(st.integers(0, 9_999), st.integers(0, 4), st.sampled_from(list(INVISIBLE)))
def test_an_invisible_mark_anywhere_makes_a_code_invalid(n, at, mark):
    text = f"{n:04d}"
    assert pad_code(text[:at] + mark + text[at:], 5) is None


@given(st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not x.is_integer()))
def test_fractions_nan_and_infinity_are_not_codes(x):
    assert pad_code(x, 5) is None


# --- count parsing ------------------------------------------------------------------------

# A count fits the warehouse's INTEGER; larger values are refused (count_too_large).
counts = st.integers(0, 2_147_483_647)


@given(counts, st.sampled_from(["", " ", "  ", "\t"]), st.integers(0, 3))
def test_a_count_parses_from_every_cell_type(n, pad, zeros):
    for value in (n, float(n), str(n), f"{pad}{n}{pad}", "0" * zeros + str(n), f"{n}.0"):
        assert parse_count(value) == (n, None), value


@given(st.integers(2_147_483_648, 10**30))
def test_counts_past_the_integer_range_are_too_large(n):
    assert parse_count(n) == (None, "count_too_large")
    assert parse_count(str(n)) == (None, "count_too_large")


@given(st.integers(1, 10**12))
def test_negative_counts_are_count_negative(n):
    for value in (-n, float(-n), str(-n), f" -{n} "):
        assert parse_count(value) == (None, "count_negative"), value


@given(st.floats(min_value=-1e12, max_value=1e12).filter(lambda x: not x.is_integer()))
def test_fractions_are_not_whole(x):
    rule = "count_negative" if x < 0 else "count_not_whole"
    assert parse_count(x) == (None, rule)
    if "e" not in repr(x):  # 1e-05 is text the contract does not read as a number
        assert parse_count(repr(x)) == (None, rule)


@given(st.text(min_size=1).filter(lambda t: any(ch.isalpha() for ch in t)))
def test_text_with_letters_is_not_a_number(text):
    assert parse_count(text) == (None, "count_not_number")


@given(st.sampled_from([None, "", "   ", "\t"]))
def test_a_blank_count_is_zero_and_a_blank_village_total_is_an_error(blank):
    assert parse_count(blank) == (0, None)
    assert parse_count(blank, blank_is_error=True) == (None, "villages_total_invalid")


@given(st.booleans())
def test_booleans_are_not_counts(flag):
    assert parse_count(flag) == (None, "count_not_number")


@given(st.integers(0, 9), st.sampled_from([0xFF10, 0x0660, 0x06F0, 0x0966]))
def test_only_ascii_digits_make_a_count(digit, zero):
    assert parse_count(chr(zero + digit)) == (None, "count_not_number")


def test_a_long_count_is_never_rounded_only_refused_past_the_integer_range():
    assert parse_count("2147483647") == (2147483647, None)
    assert parse_count("9007199254740993") == (None, "count_too_large")
