"""Every rule of the workbook contract, with a passing and a failing case."""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.workbooks import Book, rules
from transforms.validation.validate import (
    Validated,
    read_file,
    validate_batch,
    validate_file,
    validate_files,
)
from transforms.workbook import contract as c
from transforms.workbook.names import normalise


@dataclass
class Checked:
    """One file's result, with its typed rows when accepted (what the loader receives)."""

    validated: Validated

    def __getattr__(self, name: str) -> Any:
        return getattr(self.validated.results[0], name)

    @property
    def communes(self) -> pd.DataFrame | None:
        return self.validated.rows.of("communes", 0) if self.accepted else None

    @property
    def models(self) -> pd.DataFrame | None:
        return self.validated.rows.of("models", 0) if self.accepted else None


def check(book: Book, tmp_path: Path, name: str = "book.xlsx") -> Any:
    return Checked(validate_batch([book.write(tmp_path / name)]))


def only_error(result, rule: str):
    errors = [i for i in result.issues if i.severity == "error"]
    assert [i.rule for i in errors] == [rule], [(i.rule, i.message) for i in result.issues]
    return errors[0]


# files -----------------------------------------------------------------------


def test_valid_workbook_is_accepted_without_issues(tmp_path):
    result = check(Book(), tmp_path)
    assert result.accepted, [i.message for i in result.issues]
    assert result.issues == []
    assert result.info.district_code == "119" and result.info.year == 2023
    assert len(result.communes) == 29 and len(result.models) == 29


@pytest.mark.parametrize("suffix", [".xls", ".ods", ".xlsm"])
def test_every_accepted_format_reads_the_same(tmp_path, suffix):
    result = check(Book(), tmp_path, f"book{suffix}")
    assert result.accepted, [i.message for i in result.issues]
    assert len(result.communes) == 29


def test_csv_file_is_rejected_for_its_type(tmp_path):
    path = tmp_path / "book.csv"
    path.write_text("a,b\n1,2\n")
    result = validate_file(path)
    assert not result.readable and rules(result) == ["file_type"]


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"")
    assert rules(validate_file(path)) == ["file_empty"]


def test_text_renamed_to_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_text("this is not a spreadsheet")
    result = validate_file(path)
    assert not result.readable and rules(result) == ["file_unreadable"]
    assert result.issues[0].file == "book.xlsx"


def test_corrupt_zip_is_unreadable(tmp_path):
    good = Book().write(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "book.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert rules(validate_file(path)) == ["file_unreadable"]


def test_zip_bomb_is_refused_before_parsing(tmp_path, monkeypatch, readers_see_patches):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/big.xml", b"0" * (3 * 1024 * 1024))
    monkeypatch.setattr(c, "MAX_UNPACKED_BYTES", 1024 * 1024)
    assert rules(validate_file(path)) == ["file_unpacked_too_large"]


def test_oversize_file_is_refused(tmp_path, monkeypatch, readers_see_patches):
    path = Book().write(tmp_path / "big.xlsx")
    monkeypatch.setattr(c, "MAX_FILE_BYTES", 100)
    assert rules(validate_file(path)) == ["file_too_large"]


def test_one_bad_file_does_not_block_the_good_ones(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("garbage")
    good = Book().write(tmp_path / "good.xlsx")
    results = validate_files([bad, good])
    assert [r.accepted for r in results] == [False, True]


def test_a_read_file_keeps_its_parsed_rows_but_not_its_cells(tmp_path):
    # what a reader sends back for each file of a batch and the run holds until checking:
    # the cells are in the records, the table keeps only where its columns are
    _, parsed = read_file(Book().write(tmp_path / "book.xlsx"), "book.xlsx")
    communes, models = parsed
    assert communes is not None and models is not None
    assert communes.table.rows == [] and models.table.rows == []
    assert len(communes.records) == 29 and len(models.records) == 29
    row = communes.records[0]["excel_row"]
    assert communes.cell_ref(int(str(row)), "commune_code") == f"A{row}"


# sheets and info -----------------------------------------------------------------


def test_missing_models_sheet_is_an_error(tmp_path):
    book = Book()
    del book.sheet_names["models"]
    assert rules(check(book, tmp_path)) == ["sheet_missing"]


def test_sheet_names_match_without_diacritics_and_in_nfd(tmp_path):
    book = Book()
    book.sheet_names = {
        "info": "Thong tin",
        "communes": unicodedata.normalize("NFD", "Danh sách xã"),
        "models": "Mo hinh",
    }
    assert check(book, tmp_path).accepted


def test_codes_written_as_numbers_are_padded(tmp_path):
    book = Book(district="119")
    book.info["Mã tỉnh"] = 14
    book.info["Mã huyện"] = 119
    for row in book.rows:
        row["commune_code"] = int(str(row["commune_code"]))
    result = check(book, tmp_path)
    assert result.accepted, [i.message for i in result.issues]
    assert result.info.province_code == "14"
    assert result.communes["commune_code"].iloc[0] == "03721"


def test_code_with_excel_text_prefix_is_read(tmp_path):
    book = Book()
    book.info["Mã huyện"] = "'119"
    assert check(book, tmp_path).accepted


def test_missing_year_is_reported_with_its_label(tmp_path):
    book = Book()
    del book.info["Năm báo cáo"]
    issue = only_error(check(book, tmp_path), "info_missing")
    assert issue.column == "Năm báo cáo" and issue.sheet == "Thông tin"


@pytest.mark.parametrize("year", [2031, 2018, "năm nay", 2023.5])
def test_year_outside_the_ruleset_or_unreadable_is_invalid(tmp_path, year):
    book = Book()
    book.info["Năm báo cáo"] = year
    issue = only_error(check(book, tmp_path), "info_invalid")
    assert issue.row == 3 and "2019 to 2025" in issue.message


def test_unknown_district_is_an_error(tmp_path):
    book = Book()
    book.info["Mã huyện"] = "999"
    only_error(check(book, tmp_path), "district_unknown")


def test_district_of_another_province_is_an_error(tmp_path):
    book = Book()
    book.info["Mã tỉnh"] = "26"
    only_error(check(book, tmp_path), "district_not_in_province")


def test_unknown_province_is_an_error(tmp_path):
    book = Book()
    book.info["Mã tỉnh"] = "99"
    only_error(check(book, tmp_path), "province_unknown")


def test_district_name_differing_from_registry_is_a_warning(tmp_path):
    book = Book()
    book.info["Tên huyện"] = "Huyện Mai Sơn"
    result = check(book, tmp_path)
    assert result.accepted and rules(result) == ["district_name_mismatch"]


def test_district_name_without_prefix_matches(tmp_path):
    book = Book()
    book.info["Tên huyện"] = "Thuan Chau"
    assert check(book, tmp_path).issues == []


def test_unreadable_preparation_date_is_invalid(tmp_path):
    book = Book()
    book.info["Ngày lập"] = "hôm qua"
    only_error(check(book, tmp_path), "info_invalid")


# table layout ------------------------------------------------------------------------


def test_title_rows_and_offset_table_keep_excel_row_numbers(tmp_path):
    book = Book(title_rows=4, start_col=2)
    book.rows[3]["mass_complaints"] = "ba"
    issue = only_error(check(book, tmp_path), "count_not_number")
    assert issue.row == book.excel_row(3) == 9
    assert issue.column == "Khiếu kiện đông người kéo dài"


def test_shuffled_columns_and_english_keys_are_read(tmp_path):
    book = Book()
    keys = [col.key for col in c.COMMUNES.columns]
    book.headers = list(reversed(keys))
    result = check(book, tmp_path)
    assert result.accepted, [i.message for i in result.issues]


def test_nfd_headers_match(tmp_path):
    book = Book()
    book.headers = [unicodedata.normalize("NFD", h) for h in book.headers]
    assert check(book, tmp_path).accepted


def test_missing_required_column_is_an_error(tmp_path):
    book = Book()
    book.headers = [h for h in book.headers if h != "Tổng số thôn, tổ dân phố"]
    issue = only_error(check(book, tmp_path), "column_missing")
    assert issue.column == "Tổng số thôn, tổ dân phố"


def test_missing_optional_name_column_is_fine(tmp_path):
    book = Book()
    book.headers = [h for h in book.headers if h != "Tên xã"]
    assert check(book, tmp_path).issues == []


def test_unknown_column_is_a_warning_and_ignored(tmp_path):
    book = Book()
    book.headers.append("Ghi chú")
    result = check(book, tmp_path)
    assert result.accepted and rules(result) == ["column_unknown"]


def test_header_beyond_row_20_is_not_found(tmp_path):
    book = Book(title_rows=21)
    assert "header_missing" in rules(check(book, tmp_path))


def test_total_row_with_right_sums_passes_and_wrong_sums_warn(tmp_path):
    book = Book()
    total = sum(int(r["security_teams"]) for r in book.rows)
    col = book.headers.index("Tổ bảo vệ ANTT ở cơ sở")
    row: list = [None] * len(book.headers)
    row[1] = "Tổng cộng"
    row[col] = total
    book.extra_rows = [row]
    assert check(book, tmp_path).issues == []
    row[col] = total + 1
    result = check(book, tmp_path, "wrong.xlsx")
    assert result.accepted and rules(result) == ["total_mismatch"]
    assert result.issues[0].row == book.excel_row(len(book.rows))


def test_signature_lines_under_the_table_are_ignored(tmp_path):
    book = Book()
    book.extra_rows = [
        [],
        [None, None, "Người lập biểu"],
        ["Thuận Châu, ngày 10 tháng 01 năm 2024"],
    ]
    assert check(book, tmp_path).issues == []


def test_row_with_numbers_but_no_code_is_an_error(tmp_path):
    book = Book()
    book.rows[2]["commune_code"] = None
    result = check(book, tmp_path)
    assert "commune_code_missing" in rules(result)


# cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("ba", "count_not_number"),
        (2.5, "count_not_whole"),
        (-1, "count_negative"),
        ("2,5", "count_not_number"),
    ],
)
def test_bad_counts_are_errors(tmp_path, value, rule):
    book = Book()
    book.rows[0]["fires"] = value
    issue = only_error(check(book, tmp_path), rule)
    assert issue.value == str(value) and issue.row == book.excel_row(0)
    assert issue.message_vi and issue.message != issue.message_vi


@pytest.mark.parametrize("value", [3, 3.0, " 3 ", "3"])
def test_counts_accept_numbers_and_number_text(tmp_path, value):
    book = Book()
    book.rows[0]["fires"] = value
    result = check(book, tmp_path)
    assert result.accepted and result.communes["fires"].iloc[0] == 3


def test_blank_count_is_zero(tmp_path):
    book = Book()
    book.rows[0]["fires"] = None
    result = check(book, tmp_path)
    assert result.accepted and result.communes["fires"].iloc[0] == 0


@pytest.mark.parametrize("value", [None, 0])
def test_villages_total_blank_or_zero_is_an_error(tmp_path, value):
    book = Book()
    book.rows[0]["villages_total"] = value
    book.rows[0]["villages_safe"] = 0
    only_error(check(book, tmp_path), "villages_total_invalid")


@pytest.mark.parametrize("value", ["Có", "có", "CO", "Yes", "x", 1, "TRUE", True, "Không", "no", 0])
def test_yes_no_spellings_are_accepted(tmp_path, value):
    book = Book()
    book.rows[0]["party_resolution"] = value
    assert check(book, tmp_path).accepted


def test_blank_yes_no_is_an_error_with_the_fix_in_the_message(tmp_path):
    book = Book()
    book.rows[4]["commune_plan"] = None
    issue = only_error(check(book, tmp_path), "yesno_blank")
    assert "Có or Không" in issue.message and issue.column == "Kế hoạch UBND xã về ANTT"


def test_tick_mark_column_reads_blank_as_no(tmp_path):
    book = Book()
    for i, row in enumerate(book.rows):
        row["party_resolution"] = "x" if i % 2 else None
    result = check(book, tmp_path)
    assert result.accepted
    assert list(result.communes["party_resolution"][:2]) == [False, True]


def test_unknown_yes_no_is_an_error(tmp_path):
    book = Book()
    book.rows[0]["party_resolution"] = "có lẽ"
    only_error(check(book, tmp_path), "yesno_invalid")


@pytest.mark.parametrize("value", ["HTT", "Hoan thanh tot nhiem vu", "good", "htxs"])
def test_rating_labels_abbreviations_and_keys_are_accepted(tmp_path, value):
    book = Book()
    book.rows[0]["police_rating"] = value
    assert check(book, tmp_path).accepted


def test_unknown_and_blank_ratings_are_errors(tmp_path):
    book = Book()
    book.rows[0]["police_rating"] = "Tốt lắm"
    book.rows[1]["movement_rating"] = None
    assert rules(check(book, tmp_path)) == ["enum_invalid", "enum_blank"]


def test_code_with_letters_or_hidden_characters_is_invalid(tmp_path):
    book = Book()
    book.rows[0]["commune_code"] = "0372A"
    book.rows[1]["commune_code"] = "037\u200b24"
    result = check(book, tmp_path)
    invalid = [i for i in result.issues if i.rule == "code_invalid"]
    assert [i.row for i in invalid] == [book.excel_row(0), book.excel_row(1)]
    assert "hidden characters" in invalid[1].message


def test_unknown_commune_code_is_an_error(tmp_path):
    book = Book()
    book.rows[0]["commune_code"] = "99999"
    assert "commune_unknown" in rules(check(book, tmp_path))


def test_commune_of_another_district_is_an_error_naming_it(tmp_path):
    book = Book()
    book.rows[0]["commune_code"] = "00001"
    result = check(book, tmp_path)
    issue = next(i for i in result.issues if i.rule == "commune_wrong_district")
    assert "Ba Đình" in issue.message and issue.row == book.excel_row(0)


def test_duplicate_commune_is_an_error_on_both_rows(tmp_path):
    book = Book()
    book.rows[1]["commune_code"] = book.rows[0]["commune_code"]
    result = check(book, tmp_path)
    dups = [i for i in result.issues if i.rule == "commune_duplicate"]
    assert [i.row for i in dups] == [book.excel_row(0), book.excel_row(1)]


def test_commune_left_out_is_a_warning(tmp_path):
    book = Book()
    left = book.rows.pop(5)
    result = check(book, tmp_path)
    assert result.accepted and rules(result) == ["commune_not_listed"]
    assert result.issues[0].value == left["commune_code"]


def test_commune_name_differing_from_registry_is_a_warning(tmp_path):
    book = Book()
    book.rows[0]["commune_name"] = "Xã Không Có"
    # no prefix, no diacritics: the same name
    book.rows[1]["commune_name"] = normalise(str(book.rows[1]["commune_name"])).split(" ", 1)[1]
    result = check(book, tmp_path)
    assert result.accepted and rules(result) == ["commune_name_mismatch"]


def test_no_commune_at_all_is_an_error(tmp_path):
    book = Book()
    book.rows = [{}]
    book.rows.clear()
    book.models = [[]]
    assert "communes_empty" in rules(check(book, tmp_path))


def test_island_district_without_communes_may_send_an_empty_sheet(tmp_path):
    book = Book(district="318")
    assert book.rows == []
    assert check(book, tmp_path).accepted


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"social_order_crimes": 1, "serious_crimes": 2}, "serious_exceeds_total"),
        (
            {"social_order_crimes": 3, "serious_crimes": 1, "serious_crimes_solved": 2},
            "solved_exceeds_serious",
        ),
        ({"villages_total": 5, "villages_safe": 6}, "safe_exceeds_total"),
    ],
)
def test_cross_field_rules(tmp_path, changes, rule):
    book = Book()
    book.rows[2].update(changes)
    issue = only_error(check(book, tmp_path), rule)
    assert issue.row == book.excel_row(2)


def test_every_problem_is_reported_in_one_pass(tmp_path):
    book = Book()
    book.rows[0]["fires"] = -1
    book.rows[1]["police_rating"] = "?"
    book.rows[2]["villages_safe"] = 99
    book.models.append([book.rows[0]["commune_code"], "Khác", None, 2030, "Có"])
    result = check(book, tmp_path)
    assert sorted(rules(result)) == sorted(
        ["count_negative", "enum_invalid", "safe_exceeds_total", "year_started_invalid"]
    )


# models sheet ------------------------------------------------------------------------


def test_model_rows_parse_types_and_yes_no(tmp_path):
    book = Book()
    book.models = [[book.rows[0]["commune_code"], "Camera an ninh", "Camera", None, "x"]]
    result = check(book, tmp_path)
    assert result.accepted
    assert result.models.iloc[0]["model_type"] == "security_camera"
    assert bool(result.models.iloc[0]["is_effective"]) is True


def test_models_sheet_with_header_and_no_rows_is_fine(tmp_path):
    book = Book()
    book.models = [[]]
    assert check(book, tmp_path).accepted


def test_model_of_a_commune_outside_the_district_is_an_error(tmp_path):
    book = Book()
    book.models.append(["00001", "Khác", None, None, "Có"])
    only_error(check(book, tmp_path), "model_commune_unknown")


def test_model_with_unknown_type_is_an_error(tmp_path):
    book = Book()
    book.models.append([book.rows[0]["commune_code"], "Mô hình lạ", None, None, "Có"])
    only_error(check(book, tmp_path), "enum_invalid")


def test_model_started_after_the_report_year_is_an_error(tmp_path):
    book = Book()
    book.models.append([book.rows[0]["commune_code"], "Khác", None, 2024, "Có"])
    only_error(check(book, tmp_path), "year_started_invalid")
