"""The one low-level workbook writer: cell values in, .xlsx/.xlsm/.xls/.ods out.

It never writes a formula. Every ``str`` cell is stored as text, so a value
such as ``=1+1`` or ``-3`` typed by an officer stays exactly what it was; the
pipeline reads files with python-calamine, which returns nothing for a
formula without a cached value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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


# --- plain xlsx: values only, written directly -------------------------------------------

# Sheets of values (text, numbers, booleans, dates), bold rows, column widths and frozen
# rows are all the province reports need. xlsxwriter spends about 5 microseconds per cell
# (argument checks, a record per cell, an XML writer call per cell); written as text here
# the same cells cost a fraction of that, which matters for the 400,000 cells of a national
# year of reports. Strings are shared strings, as xlsxwriter stores them: never formulas.

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_STYLE_BOLD, _STYLE_DATETIME, _STYLE_DATE = 1, 2, 3
_PLAIN_STYLES = (
    f'{_XML}<styleSheet xmlns="{_NS_MAIN}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
# Excel's limit on the length of a cell's text; xlsxwriter truncates there too
_MAX_STRING = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPED_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_plain_xlsx(
    path: Path,
    sheets: Iterable[SheetLike],
    *,
    created: dt.datetime | None = None,
    author: str | None = None,
) -> Path:
    """Write sheets of plain values to an .xlsx at path and return path.

    The sheets may use bold rows, column widths and frozen rows, but no merges,
    validations, fills or comments (write_workbook writes those). Cells read back as
    write_workbook's do: text as text, numbers, booleans, dates with the same formats.
    """
    path = Path(path)
    data = [as_sheet(s) for s in sheets]
    if not data:
        raise ValueError("a workbook needs at least one sheet")
    names: set[str] = set()
    for sheet in data:
        if sheet.merges or sheet.validations or sheet.fills or sheet.comments:
            raise ValueError(f"sheet {sheet.name!r} needs write_workbook (merges, fills, ...)")
        if not sheet.name or len(sheet.name) > 31 or _BAD_SHEET_NAME.search(sheet.name):
            raise ValueError(f"invalid sheet name {sheet.name!r}")
        if sheet.name.lower() in names:
            raise ValueError(f"duplicate sheet name {sheet.name!r}")
        names.add(sheet.name.lower())
    strings: dict[str, int] = {}
    parts = [
        (f"xl/worksheets/sheet{i}.xml", _plain_sheet(sheet, strings, selected=i == 1))
        for i, sheet in enumerate(data, start=1)
    ]
    n = len(data)
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd'
        '.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        + "</Types>"
    )
    root_rels = (
        f'{_XML}<Relationships xmlns="{_NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
    )
    stamp = (created or dt.datetime.now()).strftime("%Y-%m-%dT%H:%M:%SZ")
    creator = _xml_text(author or "")
    core = (
        f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:creator>{creator}</dc:creator><cp:lastModifiedBy>{creator}</cp:lastModifiedBy>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><workbookPr/>'
        "<bookViews><workbookView/></bookViews><sheets>"
        + "".join(
            f'<sheet name="{_xml_attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, s in enumerate(data, start=1)
        )
        + '</sheets><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )
    workbook_rels = (
        f'{_XML}<Relationships xmlns="{_NS_PKG_REL}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet"'
            f' Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        + f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 2}" Type="{_NS_REL}/sharedStrings"'
        ' Target="sharedStrings.xml"/></Relationships>'
    )
    shared = (
        f'{_XML}<sst xmlns="{_NS_MAIN}" uniqueCount="{len(strings)}">'
        + "".join(map(_shared_string, strings))
        + "</sst>"
    )
    entries = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("docProps/core.xml", core),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _PLAIN_STYLES),
        ("xl/sharedStrings.xml", shared),
        *parts,
    ]
    with zipfile.ZipFile(path, "w") as z:
        for name, text in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(
                info,
                text.encode("utf-8"),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=PLAIN_COMPRESSLEVEL,
            )
    return path


PLAIN_COMPRESSLEVEL = 1


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;")


def _shared_string(text: str) -> str:
    # Excel's own escape for characters XML cannot carry (and for text that looks like one)
    if "_x" in text:
        text = _ESCAPED_LOOKALIKE.sub(r"_x005F\1", text)
    if not text.isprintable() and _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    if "&" in text or "<" in text or ">" in text:
        text = _xml_text(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<si><t xml:space="preserve">{text}</t></si>'
    return f"<si><t>{text}</t></si>"


def _excel_serial(value: dt.date) -> float:
    """Return a date or naive datetime as an Excel serial number (1900 date system)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - dt.datetime(1899, 12, 31)
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    # Excel counts 29 February 1900, which never was
    return serial + 1 if serial > 59 else serial


def _column_letters(count: int) -> list[str]:
    from xlsxwriter.utility import xl_col_to_name

    return [xl_col_to_name(c) for c in range(count)]


def _excel_width(width: float) -> str:
    """Return a column width in characters as Excel stores it (xlsxwriter's conversion)."""
    if width <= 0:
        return "0"
    pixels = int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)
    return f"{(pixels * 256 // 7) / 256.0:.16g}"


def _other_cell(
    value: Cell, ref: str, style: str, strings: dict[str, int], sheet: str
) -> str | None:
    """Return the cell of a value other than plain text or int (None: nothing to write)."""
    if isinstance(value, str):  # a subclass of str
        text = str(value)[:_MAX_STRING]
        return f'<c r="{ref}"{style} t="s"><v>{strings.setdefault(text, len(strings))}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, int | float):
        number_value = float(value)
        if math.isnan(number_value):
            return None
        if math.isinf(number_value):
            raise ValueError(f"cannot write {value} at {sheet}!{ref}")
        return f'<c r="{ref}"{style}><v>{number_value:.16G}</v></c>'
    if isinstance(value, dt.datetime | dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            raise TypeError(f"a time zone cannot be written to Excel, at {sheet}")
        fmt = _STYLE_DATETIME if isinstance(value, dt.datetime) else _STYLE_DATE
        return f'<c r="{ref}" s="{fmt}"><v>{_excel_serial(value):.16G}</v></c>'
    raise TypeError(f"cannot write {type(value).__name__} at {sheet}!{ref}")


def _plain_sheet(sheet: SheetData, strings: dict[str, int], selected: bool) -> str:
    width = max((sheet.start_col + len(r) for r in sheet.rows), default=1)
    letters = _column_letters(max(width, 1))
    # each column's cells open with its letters, then the row's number: a national year's
    # reports write 440,000 cells (most of them text), one formatted string each
    opens = [f'<c r="{x}' for x in letters]
    bold = sheet.bold_rows
    start_col = sheet.start_col
    rows_xml: list[str] = []
    first_row = last_row = last_col = -1
    first_col = width
    for i, row in enumerate(sheet.rows):
        r = sheet.start_row + i
        number = r + 1
        style = f' s="{_STYLE_BOLD}"' if r in bold else ""
        text_tail = f'{number}"{style} t="s"><v>'
        value_tail = f'{number}"{style}><v>'
        cells: list[str] = []
        lo = hi = -1
        for j, value in enumerate(row):
            if value is None:
                continue
            c = start_col + j
            if type(value) is str:
                if len(value) > _MAX_STRING:
                    value = value[:_MAX_STRING]
                # a new text gets the next index
                cells.append(
                    f"{opens[c]}{text_tail}{strings.setdefault(value, len(strings))}</v></c>"
                )
            elif type(value) is int:
                cells.append(f"{opens[c]}{value_tail}{value}</v></c>")
            else:
                cell = _other_cell(value, f"{letters[c]}{number}", style, strings, sheet.name)
                if cell is None:
                    continue
                cells.append(cell)
            if lo < 0:
                lo = c
            hi = c
        if cells:
            rows_xml.append(f'<row r="{number}">{"".join(cells)}</row>')
            first_row = r if first_row < 0 else first_row
            last_row = r
            first_col, last_col = min(first_col, lo), max(last_col, hi)
    dimension = (
        f"{letters[first_col]}{first_row + 1}:{letters[last_col]}{last_row + 1}"
        if last_row >= 0
        else "A1"
    )
    pane = ""
    if sheet.freeze_rows:
        pane = (
            f'<pane ySplit="{sheet.freeze_rows}" topLeftCell="A{sheet.freeze_rows + 1}"'
            ' activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>'
        )
    tab = ' tabSelected="1"' if selected else ""
    # adjacent columns of the same width share one <col> element, as Excel writes them
    spans: list[list[Any]] = []
    for c, w in sorted(sheet.column_widths.items()):
        if spans and spans[-1][1] == c - 1 and spans[-1][2] == w:
            spans[-1][1] = c
        else:
            spans.append([c, c, w])
    cols = "".join(
        f'<col min="{a + 1}" max="{b + 1}" width="{_excel_width(w)}" customWidth="1"/>'
        for a, b, w in spans
    )
    return (
        f'{_XML}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
        f'<dimension ref="{dimension}"/><sheetViews><sheetView'
        f'{tab} workbookViewId="0">{pane}</sheetView>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f"{f'<cols>{cols}</cols>' if cols else ''}"
        f"<sheetData>{''.join(rows_xml)}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3"'
        ' footer="0.3"/></worksheet>'
    )
