"""The blank district template, and the low-level writer every generated workbook goes through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from transforms.reference.registry import load_registry
from transforms.workbook.contract import COMMUNES, INFO, MODELS
from transforms.workbook.template import MODEL_ROWS, write_template
from transforms.workbook.writer import SheetData, write_workbook


@pytest.fixture(scope="module")
def thuan_chau_2023(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template("119", 2023, tmp_path_factory.mktemp("tpl") / "119-2023.xlsx")


def _validations(ws: object) -> list[tuple[str, str, str]]:
    """Return (type, formula, ranges) of a worksheet's data validations."""
    return [
        (dv.type, str(dv.formula1), str(dv.sqref))
        for dv in ws.data_validations.dataValidation  # type: ignore[attr-defined]
    ]


def _column_letter(key: str, sheet: object = COMMUNES) -> str:
    from openpyxl.utils import get_column_letter

    keys = [c.key for c in sheet.columns]  # type: ignore[attr-defined]
    return get_column_letter(keys.index(key) + 1)


def test_template_lists_every_commune_of_the_district_under_vietnamese_headers(
    thuan_chau_2023: Path,
) -> None:
    wb = openpyxl.load_workbook(thuan_chau_2023)
    assert wb.sheetnames == ["Thông tin", "Xã", "Mô hình"]
    ws = wb["Xã"]
    rows = list(ws.iter_rows(values_only=True))
    assert "2023" in str(rows[0][0]) and "Thuận Châu" in str(rows[0][0])
    assert list(rows[1]) == [c.labels[0] for c in COMMUNES.columns]
    expected = load_registry().communes_of("119")
    listed = [(r[0], r[1]) for r in rows[2:]]
    assert listed == list(zip(expected["commune_code"], expected["commune_name"], strict=True))
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(3, ws.max_row + 1))
    assert all(v is None for r in rows[2:] for v in r[2:])


def test_template_info_sheet_holds_the_district_and_year_with_codes_as_text(
    thuan_chau_2023: Path,
) -> None:
    ws = openpyxl.load_workbook(thuan_chau_2023)["Thông tin"]
    info = {k: v for k, v in ws.iter_rows(values_only=True)}
    assert list(info) == [c.labels[0] for c in INFO.columns]
    assert info["Mã tỉnh"] == "14"
    assert info["Mã huyện"] == "119"
    assert info["Năm báo cáo"] == 2023
    assert info["Tên huyện"] == "Huyện Thuận Châu"


def test_template_has_drop_down_lists_for_yes_no_cells_and_ratings(
    thuan_chau_2023: Path,
) -> None:
    ws = openpyxl.load_workbook(thuan_chau_2023)["Xã"]
    n = len(load_registry().communes_of("119"))
    found = {sqref: (kind, formula) for kind, formula, sqref in _validations(ws)}
    for key in COMMUNES.keys_of_type("yesno"):
        col = _column_letter(key)
        assert found[f"{col}3:{col}{n + 2}"] == ("list", '"Có,Không"')
    police = found[f"{_column_letter('police_rating')}3:{_column_letter('police_rating')}{n + 2}"]
    assert police[0] == "list"
    assert "Hoàn thành xuất sắc nhiệm vụ" in police[1] and "Không hoàn thành nhiệm vụ" in police[1]
    movement_col = _column_letter("movement_rating")
    assert found[f"{movement_col}3:{movement_col}{n + 2}"] == (
        "list",
        '"Xuất sắc,Khá,Trung bình,Yếu"',
    )
    villages_col = _column_letter("villages_total")
    assert found[f"{villages_col}3:{villages_col}{n + 2}"] == ("whole", "1")


def test_template_models_sheet_has_the_header_no_rows_and_drop_downs(
    thuan_chau_2023: Path,
) -> None:
    ws = openpyxl.load_workbook(thuan_chau_2023)["Mô hình"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows == [tuple(c.labels[0] for c in MODELS.columns)]
    found = {sqref: (kind, formula) for kind, formula, sqref in _validations(ws)}
    type_col = _column_letter("model_type", MODELS)
    kind, formula = found[f"{type_col}2:{type_col}{MODEL_ROWS + 1}"]
    assert kind == "list"
    assert all(labels[0] in formula for _, labels in MODELS.column("model_type").values)
    effective_col = _column_letter("is_effective", MODELS)
    assert found[f"{effective_col}2:{effective_col}{MODEL_ROWS + 1}"] == ("list", '"Có,Không"')


def test_template_for_an_island_district_has_headers_and_no_communes(tmp_path: Path) -> None:
    path = write_template("318", 2024, tmp_path / "bach-long-vi.xlsx")
    rows = list(openpyxl.load_workbook(path)["Xã"].iter_rows(values_only=True))
    assert len(rows) == 2


def test_template_raises_on_an_unknown_district(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown district code '999'"):
        write_template("999", 2023, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("year", [2018, 2026, 2031])
def test_template_raises_on_a_year_outside_2019_to_2025(tmp_path: Path, year: int) -> None:
    with pytest.raises(ValueError, match="2019..2025"):
        write_template("119", year, tmp_path / "x.xlsx")


def test_template_can_be_written_as_xls_and_ods_without_drop_downs(tmp_path: Path) -> None:
    for suffix in (".xls", ".ods"):
        path = write_template("247", 2023, tmp_path / f"tpl{suffix}")
        wb = CalamineWorkbook.from_path(str(path))
        assert wb.sheet_names == ["Thông tin", "Xã", "Mô hình"]
        rows = wb.get_sheet_by_name("Xã").to_python(skip_empty_area=False)
        assert rows[1][0] == "Mã xã"
        assert rows[2][0] == load_registry().communes_of("247")["commune_code"].iloc[0]


# --- the writer -------------------------------------------------------------------------

TRICKY = ["=1+1", "+84 912", "-3", "@SUM(A1)", '=HYPERLINK("http://x")', "03721", "1e5"]


def test_text_starting_with_formula_characters_stays_text_in_xlsx(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "t.xlsx", [("Xã", [TRICKY])])
    ws = openpyxl.load_workbook(path)["Xã"]
    cells = [ws.cell(row=1, column=j + 1) for j in range(len(TRICKY))]
    assert [c.data_type for c in cells] == ["s"] * len(TRICKY)
    assert [c.value for c in cells] == TRICKY


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xls", ".ods"])
def test_writer_round_trips_text_numbers_booleans_dates_and_blanks(
    tmp_path: Path, suffix: str
) -> None:
    rows = [
        ["Mã xã", "Tên xã", "Số", "Có?", "Ngày"],
        ["03721", "=1+1", 3, True, dt.date(2024, 1, 10)],
        ["-1", None, 2.5, False, dt.datetime(2024, 1, 2, 8, 30)],
    ]
    sheet = SheetData("Danh sách xã", rows, start_row=3, start_col=2, merges=[(0, 2, 0, 6)])
    path = write_workbook(tmp_path / f"w{suffix}", [sheet, ("Thông tin", [["Mã tỉnh", "14"]])])
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["Danh sách xã", "Thông tin"]
    got = wb.get_sheet_by_name("Danh sách xã").to_python(skip_empty_area=False)
    assert got[:3] == [[""] * 7] * 3
    assert [r[:2] for r in got[3:]] == [["", ""]] * 3
    body = [r[2:] for r in got[3:]]
    assert body[0] == rows[0]
    assert body[1][:4] == ["03721", "=1+1", 3, True]
    assert body[1][4] == dt.date(2024, 1, 10)
    assert body[2][:4] == ["-1", "", 2.5, False]
    assert body[2][4] == dt.datetime(2024, 1, 2, 8, 30)


def test_writer_fixes_the_xlsx_creation_time_so_bytes_repeat(tmp_path: Path) -> None:
    created = dt.datetime(2024, 1, 5, 9, 0)
    a = write_workbook(tmp_path / "a.xlsx", [("S", [["x", 1]])], created=created)
    b = write_workbook(tmp_path / "b.xlsx", [("S", [["x", 1]])], created=created)
    assert a.read_bytes() == b.read_bytes()


def test_writer_refuses_a_format_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="suffix"):
        write_workbook(tmp_path / "x.csv", [("S", [["a"]])])
