"""The one low-level workbook writer: cell values in, .xlsx/.xlsm/.xls/.ods out.

It never writes a formula. Every ``str`` cell is stored as text, so a value
such as ``=1+1`` or ``-3`` typed by an officer stays exactly what it was; the
pipeline reads files with python-calamine, which returns nothing for a
formula without a cached value.
"""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transforms.atomic import replace_atomically

Cell = str | int | float | bool | dt.date | dt.datetime | None

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
WRITABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Excel 97-2003 limits; xlwt raises past them.
_XLS_MAX_ROWS = 65536
_XLS_MAX_COLS = 256


@dataclass(frozen=True)
class Validation:
    """An xlsxwriter data validation over a zero-based cell range (ignored for .xls/.ods)."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int
    options: Mapping[str, Any]


@dataclass(frozen=True)
class SheetData:
    """One sheet: rows of cell values placed from (start_row, start_col), zero-based."""

    name: str
    rows: Sequence[Sequence[Cell]]
    start_row: int = 0
    start_col: int = 0
    # (first_row, first_col, last_row, last_col), absolute and zero-based; the
    # merged area shows the value written at its top-left cell.
    merges: Sequence[tuple[int, int, int, int]] = ()
    validations: Sequence[Validation] = ()
    # absolute row indexes written in bold (titles, header)
    bold_rows: frozenset[int] = field(default_factory=frozenset)
    column_widths: Mapping[int, float] = field(default_factory=dict)
    # xlsx only (ignored for .xls/.ods): absolute (row, col) -> background colour
    # such as "#FFC7CE", and -> the text of a cell comment (note)
    fills: Mapping[tuple[int, int], str] = field(default_factory=dict)
    comments: Mapping[tuple[int, int], str] = field(default_factory=dict)
    # xlsx only: freeze the rows above this absolute row index (0: nothing frozen)
    freeze_rows: int = 0


Rows = Sequence[Sequence[Cell]]
SheetLike = SheetData | tuple[str, Rows] | tuple[str, Rows, int, int]


def as_sheet(sheet: SheetLike) -> SheetData:
    """Return a SheetData from a SheetData or a (name, rows[, start_row, start_col]) tuple."""
    if isinstance(sheet, SheetData):
        return sheet
    if len(sheet) == 2:
        return SheetData(sheet[0], sheet[1])
    name, rows, start_row, start_col = sheet  # type: ignore[misc]
    return SheetData(name, rows, start_row, start_col)


def write_workbook(
    path: Path,
    sheets: Iterable[SheetLike],
    *,
    created: dt.datetime | None = None,
    author: str | None = None,
) -> Path:
    """Write the sheets to path in the format its suffix names and return path.

    ``created`` fixes the xlsx document and the xlsx/ods zip timestamps, which makes
    the bytes reproducible; without it the current time is used.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    data = [as_sheet(s) for s in sheets]
    if not data:
        raise ValueError("a workbook needs at least one sheet")
    if suffix in (".xlsx", ".xlsm"):
        _write_xlsx(path, data, created, author)
    elif suffix == ".xls":
        _write_xls(path, data)
    elif suffix == ".ods":
        _write_ods(path, data)
        if created is not None:
            _fix_zip_times(path, created)
    else:
        raise ValueError(
            f"cannot write {path.name}: the suffix must be one of {', '.join(WRITABLE_SUFFIXES)}"
        )
    return path


def _covered(sheet: SheetData) -> dict[tuple[int, int], tuple[int, int] | None]:
    """Return merged cells: anchor -> (row span, col span), covered cell -> None."""
    out: dict[tuple[int, int], tuple[int, int] | None] = {}
    for r1, c1, r2, c2 in sheet.merges:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                out[(r, c)] = None
        out[(r1, c1)] = (r2 - r1 + 1, c2 - c1 + 1)
    return out


def _is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- xlsx ------------------------------------------------------------------


def _write_xlsx(
    path: Path, sheets: list[SheetData], created: dt.datetime | None, author: str | None
) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "in_memory": True,
        },
    )
    props: dict[str, Any] = {"created": created or dt.datetime.now()}
    if author:
        props["author"] = author
    wb.set_properties(props)
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    datetime_fmt = wb.add_format({"num_format": DATETIME_FORMAT})
    bold = wb.add_format({"bold": True})
    bold_wrap = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    # formats with a fill are made only when a sheet asks for one, so workbooks
    # without fills keep the same bytes
    filled: dict[tuple[str, str], Any] = {}

    def with_fill(kind: str, colour: str) -> Any:
        key = (kind, colour)
        if key not in filled:
            props: dict[str, Any] = {"bg_color": colour, "pattern": 1}
            if kind == "bold":
                props.update(bold=True, text_wrap=True, valign="top")
            elif kind == "date":
                props["num_format"] = DATE_FORMAT
            elif kind == "datetime":
                props["num_format"] = DATETIME_FORMAT
            filled[key] = wb.add_format(props)
        return filled[key]

    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        merged = _covered(sheet)
        for col, width in sheet.column_widths.items():
            ws.set_column(col, col, width)
        if sheet.freeze_rows:
            ws.freeze_panes(sheet.freeze_rows, 0)
        for i, row in enumerate(sheet.rows):
            r = sheet.start_row + i
            row_fmt = bold_wrap if r in sheet.bold_rows else None
            for j, value in enumerate(row):
                c = sheet.start_col + j
                if merged and (r, c) in merged:
                    continue
                if _is_blank(value):
                    continue
                fill = sheet.fills.get((r, c)) if sheet.fills else None
                if fill:
                    kind = "bold" if row_fmt is not None else "plain"
                    if isinstance(value, dt.datetime):
                        kind = "datetime"
                    elif isinstance(value, dt.date):
                        kind = "date"
                    fmt = with_fill(kind, fill)
                    if isinstance(value, str):
                        ws.write_string(r, c, value, fmt)
                    elif isinstance(value, bool):
                        ws.write_boolean(r, c, value, fmt)
                    elif isinstance(value, int | float):
                        ws.write_number(r, c, value, fmt)
                    elif isinstance(value, dt.date):
                        ws.write_datetime(r, c, value, fmt)
                    else:
                        raise TypeError(
                            f"cannot write {type(value).__name__} at {sheet.name}!{r},{c}"
                        )
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value, row_fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value, row_fmt)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value, row_fmt)
                elif isinstance(value, dt.datetime):
                    ws.write_datetime(r, c, value, datetime_fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, value, date_fmt)
                else:
                    raise TypeError(f"cannot write {type(value).__name__} at {sheet.name}!{r},{c}")
        for (r1, c1), span in merged.items():
            if span is None:
                continue
            rows_n, cols_n = span
            anchor = _value_at(sheet, r1, c1)
            text = "" if _is_blank(anchor) else str(anchor)
            fmt = bold if r1 in sheet.bold_rows else None
            ws.merge_range(r1, c1, r1 + rows_n - 1, c1 + cols_n - 1, "", fmt)
            if text:
                ws.write_string(r1, c1, text, fmt)
        for v in sheet.validations:
            ws.data_validation(v.first_row, v.first_col, v.last_row, v.last_col, dict(v.options))
        for (r, c), colour in sheet.fills.items():
            if _is_blank(_value_at(sheet, r, c)) and (r, c) not in merged:
                ws.write_blank(r, c, None, with_fill("plain", colour))
        for (r, c), text in sheet.comments.items():
            ws.write_comment(r, c, text, {"x_scale": 2.5, "y_scale": 2.0})
    wb.close()


def _value_at(sheet: SheetData, r: int, c: int) -> Cell:
    i, j = r - sheet.start_row, c - sheet.start_col
    if 0 <= i < len(sheet.rows) and 0 <= j < len(sheet.rows[i]):
        return sheet.rows[i][j]
    return None


# --- xls -------------------------------------------------------------------


def _write_xls(path: Path, sheets: list[SheetData]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str=DATE_FORMAT)
    datetime_style = xlwt.easyxf(num_format_str=DATETIME_FORMAT)
    bold_style = xlwt.easyxf("font: bold on")
    plain = xlwt.Style.default_style
    for sheet in sheets:
        ws = wb.add_sheet(_xls_sheet_name(sheet.name), cell_overwrite_ok=True)
        merged = _covered(sheet)
        for col, width in sheet.column_widths.items():
            ws.col(col).width = int(width * 256)
        for i, row in enumerate(sheet.rows):
            r = sheet.start_row + i
            if r >= _XLS_MAX_ROWS:
                raise ValueError(f"{sheet.name}: .xls holds at most {_XLS_MAX_ROWS} rows")
            style = bold_style if r in sheet.bold_rows else plain
            for j, value in enumerate(row):
                c = sheet.start_col + j
                if c >= _XLS_MAX_COLS:
                    raise ValueError(f"{sheet.name}: .xls holds at most {_XLS_MAX_COLS} columns")
                if (merged and (r, c) in merged) or _is_blank(value):
                    continue
                if isinstance(value, dt.datetime):
                    ws.write(r, c, value, datetime_style)
                elif isinstance(value, dt.date):
                    ws.write(r, c, value, date_style)
                elif isinstance(value, str | bool | int | float):
                    # xlwt only writes a formula when given an xlwt.Formula object.
                    ws.write(r, c, value, style)
                else:
                    raise TypeError(f"cannot write {type(value).__name__} at {sheet.name}!{r},{c}")
        for (r1, c1), span in merged.items():
            if span is None:
                continue
            anchor = _value_at(sheet, r1, c1)
            style = bold_style if r1 in sheet.bold_rows else plain
            ws.write_merge(
                r1,
                r1 + span[0] - 1,
                c1,
                c1 + span[1] - 1,
                "" if _is_blank(anchor) else str(anchor),
                style,
            )
    wb.save(str(path))


def _xls_sheet_name(name: str) -> str:
    # BIFF8 sheet names: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)
    return cleaned[:31] or "Sheet"


# --- ods -------------------------------------------------------------------


def _write_ods(path: Path, sheets: list[SheetData]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for sheet in sheets:
        table = Table(name=sheet.name)
        merged = _covered(sheet)
        n_rows = sheet.start_row + len(sheet.rows)
        if sheet.merges:
            n_rows = max(n_rows, max(m[2] for m in sheet.merges) + 1)
        if sheet.start_row:
            empty = TableRow(numberrowsrepeated=sheet.start_row)
            empty.addElement(TableCell())
            table.addElement(empty)
        for r in range(sheet.start_row, n_rows):
            i = r - sheet.start_row
            values: Sequence[Cell] = sheet.rows[i] if i < len(sheet.rows) else ()
            width = sheet.start_col + len(values)
            if merged:
                width = max([width] + [c + 1 for (mr, c) in merged if mr == r])
            tr = TableRow()
            if sheet.start_col:
                tr.addElement(TableCell(numbercolumnsrepeated=sheet.start_col))
            for c in range(sheet.start_col, width):
                j = c - sheet.start_col
                value = values[j] if j < len(values) else None
                key = (r, c)
                if merged and key in merged and merged[key] is None:
                    tr.addElement(CoveredTableCell())
                    continue
                span = merged.get(key) if merged else None
                attrs: dict[str, Any] = {}
                if span:
                    attrs = {"numberrowsspanned": span[0], "numbercolumnsspanned": span[1]}
                tr.addElement(_ods_cell(value, attrs, TableCell, P))
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


def _fix_zip_times(path: Path, created: dt.datetime) -> None:
    """Rewrite a zip with every entry dated `created` (odfpy stamps them with the clock),
    keeping the entries' order and compression (an ODF mimetype stays first, stored)."""
    stamp = max(created.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info)) for info in src.infolist()]
    with replace_atomically(path) as tmp, zipfile.ZipFile(tmp, "w") as out:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            out.writestr(fixed, data)


def _ods_cell(value: Cell, attrs: dict[str, Any], table_cell: Any, para: Any) -> Any:
    if _is_blank(value):
        return table_cell(**attrs)
    if isinstance(value, str):
        cell = table_cell(valuetype="string", **attrs)
        text = value
    elif isinstance(value, bool):
        cell = table_cell(valuetype="boolean", booleanvalue="true" if value else "false", **attrs)
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        cell = table_cell(valuetype="float", value=repr(value), **attrs)
        text = str(value)
    elif isinstance(value, dt.datetime):
        cell = table_cell(valuetype="date", datevalue=value.strftime("%Y-%m-%dT%H:%M:%S"), **attrs)
        text = value.strftime("%d/%m/%Y %H:%M")
    elif isinstance(value, dt.date):
        cell = table_cell(valuetype="date", datevalue=value.isoformat(), **attrs)
        text = value.strftime("%d/%m/%Y")
    else:
        raise TypeError(f"cannot write {type(value).__name__} to .ods")
    cell.addElement(para(text=text))
    return cell
