"""The blank district workbook an officer fills in: info filled, communes listed, drop-downs set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transforms.reference import versions as rv
from transforms.reference.ruleset import last_covered_year
from transforms.workbook.contract import COMMUNES, FIRST_YEAR, INFO, MODELS, Column
from transforms.workbook.writer import Cell, SheetData, Validation, write_workbook

MODEL_ROWS = 200
YES_NO = ("Có", "Không")
_TITLE_ROW = 0
_HEADER_ROW = 1


def _list_validation(values: tuple[str, ...] | list[str], title: str) -> dict[str, Any]:
    return {
        "validate": "list",
        "source": list(values),
        "input_title": title[:32],
        "error_title": "Giá trị không hợp lệ",
        "error_message": "Chọn một giá trị trong danh sách: " + ", ".join(values),
    }


def _validation_options(column: Column, year: int) -> dict[str, Any] | None:
    """Return the drop-down or number check for a column, None when free text."""
    if column.type == "yesno":
        return _list_validation(YES_NO, column.label)
    if column.type == "enum":
        return _list_validation([labels[0] for _, labels in column.values], column.label)
    if column.type == "count":
        minimum = 1 if column.blank_is_error else 0
        return {
            "validate": "integer",
            "criteria": ">=",
            "value": minimum,
            "error_title": "Số không hợp lệ",
            "error_message": f"Nhập một số nguyên từ {minimum} trở lên.",
        }
    if column.type == "integer":
        return {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1900,
            "maximum": year,
            "error_title": "Năm không hợp lệ",
            "error_message": f"Nhập năm bằng 4 chữ số, không sau {year}.",
        }
    return None


def _validations(
    columns: tuple[Column, ...], year: int, first_row: int, last_row: int
) -> list[Validation]:
    out = []
    for j, column in enumerate(columns):
        options = _validation_options(column, year)
        if options is not None:
            out.append(Validation(first_row, j, last_row, j, options))
    return out


def template_version(district_code: str, year: int, registry_version: str | None = None) -> str:
    """Return the registry version a template lists (registry.md): the year's version, or the
    latest candidate of the year in which the district exists; `registry_version` chooses
    another candidate. Raise ValueError for a version that is no candidate or lacks the
    district, and for a district in no candidate."""
    tried = rv.candidates(year)
    having = rv.versions_with_district(district_code, tried)
    if registry_version is not None:
        if registry_version not in tried:
            raise ValueError(
                f"registry version {registry_version!r} is not one for {year}: "
                f"choose one of {', '.join(tried)}"
            )
        if registry_version not in having:
            raise ValueError(
                f"district {district_code} does not exist in registry version "
                f"{registry_version}: choose one of {', '.join(having) or 'none'}"
            )
        return registry_version
    if not having:
        known = any(
            district_code in v.registry.district_by_code for v in rv.load_versions().values()
        )
        raise ValueError(
            f"unknown district code {district_code!r}"
            + (
                f" for {year} (registry versions {', '.join(tried)})"
                if known
                else ": expected a 3-digit GSO district code such as '119' (Huyện Thuận Châu)"
            )
        )
    mine = rv.year_version(year)
    return mine if mine in having else having[-1]


def template_sheets(
    district_code: str, year: int, registry_version: str | None = None
) -> list[SheetData]:
    """Return the three sheets of the blank workbook for a district and year, listing the
    communes of the registry version `template_version` gives."""
    # a template for a year no ruleset covers would give a workbook the validator rejects
    last = last_covered_year()
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise ValueError(
            f"report year {year!r} is outside {FIRST_YEAR}..{last}, the years the rulesets cover"
        )
    version = template_version(district_code, year, registry_version)
    registry = rv.load_versions()[version].registry
    district_name, province_code = registry.district_by_code[district_code]
    communes = registry.communes_of(district_code)

    info_values: dict[str, Cell] = {
        "province_code": province_code,
        "district_code": district_code,
        "year": year,
        "district_name": district_name,
        "prepared_by": None,
        "prepared_on": None,
    }
    info = SheetData(
        INFO.labels[0],
        [[c.label, info_values[c.key]] for c in INFO.columns],
        column_widths={0: 16, 1: 30},
    )

    n_cols = len(COMMUNES.columns)
    title = (
        f"Kết quả thực hiện tiêu chí 19.2 về an ninh, trật tự năm {year} - "
        f"{district_name}, {registry.province_names[province_code]}"
    )
    rows: list[list[Cell]] = [[title], [c.label for c in COMMUNES.columns]]
    rows += [
        [code, name] + [None] * (n_cols - 2)
        for code, name in zip(communes["commune_code"], communes["commune_name"], strict=True)
    ]
    first_data = _HEADER_ROW + 1
    last_data = max(_HEADER_ROW + len(communes), first_data)
    communes_sheet = SheetData(
        COMMUNES.labels[0],
        rows,
        merges=[(_TITLE_ROW, 0, _TITLE_ROW, n_cols - 1)],
        validations=_validations(COMMUNES.columns, year, first_data, last_data),
        bold_rows=frozenset({_TITLE_ROW, _HEADER_ROW}),
        column_widths={0: 9, 1: 22} | {j: 14 for j in range(2, n_cols)},
    )
    models_sheet = SheetData(
        MODELS.labels[0],
        [[c.label for c in MODELS.columns]],
        validations=_validations(MODELS.columns, year, 1, MODEL_ROWS),
        bold_rows=frozenset({0}),
        column_widths={0: 9, 1: 26, 2: 34, 3: 12, 4: 16},
    )
    return [info, communes_sheet, models_sheet]


def write_template(
    district_code: str, year: int, path: Path, registry_version: str | None = None
) -> Path:
    """Write the blank workbook for a district and year to path and return path.

    Drop-down lists exist in .xlsx only; .xls and .ods get the same cells
    without them.
    """
    return write_workbook(Path(path), template_sheets(district_code, year, registry_version))
