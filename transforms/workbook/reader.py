"""Reading a district workbook with python-calamine: sheets, info, table cells.

The reader is forgiving about layout and reports, never raises, on bad input:
everything it returns carries Excel's own row numbers and the headers as the
district wrote them. Nothing is opened before the guard (guard.py) allows it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc

from transforms.validation.issues import Issue, make_issue
from transforms.workbook import contract as c
from transforms.workbook.columns import cell_ref, column_letter
from transforms.workbook.guard import MAX_SHEET_ROWS, SheetExtent, check_before_opening, reason
from transforms.workbook.names import normalise


def is_blank(value: object) -> bool:
    """Return True for an empty cell (None, '' or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class RawTable:
    """The table of one sheet: its header and its non-blank rows, cells as calamine gives them."""

    sheet: str  # sheet name as written
    header_row: int  # Excel row number of the header
    # column key -> (header as written, 0-based column index)
    columns: dict[str, tuple[str, int]]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)  # (Excel row, cells)

    def header(self, key: str) -> str:
        """Return the header of a column as the file wrote it (or the contract's label)."""
        return self.columns[key][0] if key in self.columns else key

    def cell_ref(self, row: int, key: str) -> str | None:
        """Return the reference of a column's cell in an Excel row, None when it is absent."""
        col = self.columns.get(key)
        return cell_ref(row, col[1]) if col is not None else None

    def without_rows(self) -> RawTable:
        """Return the table's layout (sheet, header and columns) without its rows."""
        return dataclasses.replace(self, rows=[])

    def cell(self, cells: list[object], key: str) -> object:
        """Return a row's cell for a column key ('' when absent)."""
        col = self.columns.get(key)
        if col is None or col[1] >= len(cells):
            return ""
        return cells[col[1]]


@dataclass
class InfoEntry:
    value: object
    row: int
    label: str
    cell: str  # the value's cell (the label's when the value is missing)


@dataclass
class RawWorkbook:
    file: str
    info_sheet: str | None = None
    info: dict[str, InfoEntry] = field(default_factory=dict)
    tables: dict[str, RawTable] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True  # False when the file could not be opened at all


def read_workbook(path: Path, file: str | None = None) -> RawWorkbook:
    """Return the raw content of a workbook, with every layout problem as an issue."""
    file = file or path.name
    out = RawWorkbook(file=file)
    guard = check_before_opening(path, file)
    stop, scan = guard.stop, guard.extents
    if stop is not None:
        out.issues.append(stop)
        out.readable = False
        return out
    try:
        wb = _open(path)
        names = list(wb.sheet_names)
    except pc.PasswordError:
        out.issues.append(make_issue("file_encrypted", file=file))
        out.readable = False
        return out
    except BaseException as exc:  # calamine raises several error types for broken files
        out.issues.append(_unreadable(exc, file))
        out.readable = False
        return out
    try:
        found = _match_sheets(names)
        for spec in c.SHEETS:
            name = found.get(spec.key)
            if name is None:
                out.issues.append(
                    make_issue(
                        "sheet_missing",
                        file=file,
                        value=spec.labels[0],
                        detail="also accepted: " + ", ".join((spec.key, *spec.labels[1:])),
                    )
                )
                continue
            if scan is not None:  # .xlsx, .xlsm, .ods
                extent = scan.get(name)
                if extent is None:
                    # not reached by the scan (it stopped at an earlier sheet over a
                    # limit) or not found in it: never loaded unchecked
                    if not any(i.rule == "sheet_too_large" for i in out.issues):
                        out.issues.append(
                            make_issue(
                                "file_unreadable",
                                file=file,
                                sheet=name,
                                detail=f"sheet '{name}' could not be checked before reading",
                            )
                        )
                    continue
                out.issues.extend(extent.formula_issues(file, name))
                if extent.too_large:
                    out.issues.append(extent.issue(file, name))
                    continue
            sheet = wb.get_sheet_by_name(name)
            if sheet.total_height > MAX_SHEET_ROWS:  # .xls, which is not scanned beforehand
                loaded = SheetExtent(rows=sheet.total_height, columns=sheet.total_width)
                out.issues.append(loaded.issue(file, name))
                continue
            rows = sheet.to_python(skip_empty_area=False)
            if spec is c.INFO:
                out.info_sheet = name
                out.info = _read_info(rows)
            else:
                table = _read_table(rows, name, spec, file, out.issues)
                if table is not None:
                    out.tables[spec.key] = table
    except BaseException as exc:  # a sheet that fails to decode mid-way is still a file problem
        out.issues.append(_unreadable(exc, file))
        out.readable = False
    finally:
        wb.close()
    return out


def _open(path: Path) -> pc.CalamineWorkbook:
    """Open a workbook with calamine; a path that is not valid UTF-8 (a name from a district
    PC in another code page) is opened through a file object, as calamine takes only text."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        with path.open("rb") as fh:
            return pc.CalamineWorkbook.from_filelike(fh)
    return pc.CalamineWorkbook.from_path(str(path))


def _unreadable(exc: BaseException, file: str) -> Issue:
    """Return the issue for what calamine raised on a file; re-raise what is not the file's.

    calamine reports a broken file with its own errors, and panics (PanicException,
    which is no Exception) on some damaged structures and impossible dates. Running
    out of memory is left to the reader's worker, which replaces itself.
    """
    if isinstance(exc, MemoryError) or not (isinstance(exc, Exception) or _is_panic(exc)):
        raise exc
    if _is_panic(exc):
        text = str(exc)
        detail = (
            "a date or time cell holds a value no calendar has"
            if "TimeDelta" in text or "date" in text.lower()
            else "its structure is damaged"
        )
        return make_issue("file_unreadable", file=file, detail=detail)
    return make_issue("file_unreadable", file=file, detail=reason(exc, "corrupt"))


def _is_panic(exc: BaseException) -> bool:
    """Return True for a Rust panic surfaced by pyo3 (pyo3_runtime.PanicException)."""
    return type(exc).__name__ == "PanicException"


def _match_sheets(names: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in names:
        n = normalise(name)
        for spec in c.SHEETS:
            if n in spec.match_names and spec.key not in found:
                found[spec.key] = name
    return found


def _read_info(rows: list[list[Any]]) -> dict[str, InfoEntry]:
    info: dict[str, InfoEntry] = {}
    for r, cells in enumerate(rows[: c.INFO_SEARCH_ROWS], start=1):
        filled = [(i, v) for i, v in enumerate(cells) if not is_blank(v)]
        if not filled:
            continue
        label = str(filled[0][1])
        n = normalise(label)
        for col in c.INFO.columns:
            if n in col.match_names and col.key not in info:
                at, value = filled[1] if len(filled) > 1 else (filled[0][0], "")
                info[col.key] = InfoEntry(value, r, label.strip(), cell_ref(r, at))
    return info


def _read_table(
    rows: list[list[Any]], sheet: str, spec: c.Sheet, file: str, issues: list[Issue]
) -> RawTable | None:
    code_col = spec.column("commune_code")
    header_index = next(
        (
            i
            for i, cells in enumerate(rows[: c.HEADER_SEARCH_ROWS])
            if any(normalise(v) in code_col.match_names for v in cells if isinstance(v, str))
        ),
        None,
    )
    if header_index is None:
        issues.append(
            make_issue(
                "header_missing",
                file=file,
                sheet=sheet,
                column=code_col.label,
                detail=c.HEADER_SEARCH_ROWS,
            )
        )
        return None
    header_row = header_index + 1
    columns: dict[str, tuple[str, int]] = {}
    for i, v in enumerate(rows[header_index]):
        if is_blank(v):
            continue
        text = str(v).strip()
        n = normalise(text)
        col = next((x for x in spec.columns if n in x.match_names), None)
        if col is None:
            issues.append(
                make_issue(
                    "column_unknown",
                    file=file,
                    sheet=sheet,
                    row=header_row,
                    column=text,
                    cell=cell_ref(header_row, i),
                )
            )
        elif col.key in columns:
            issues.append(
                make_issue(
                    "column_duplicate",
                    file=file,
                    sheet=sheet,
                    row=header_row,
                    column=text,
                    detail=f"columns {column_letter(columns[col.key][1])} and {column_letter(i)}",
                    cell=cell_ref(header_row, i),
                )
            )
        else:
            columns[col.key] = (text, i)
    for col in spec.columns:
        if col.required and col.key not in columns:
            issues.append(
                make_issue(
                    "column_missing", file=file, sheet=sheet, row=header_row, column=col.label
                )
            )
    table = RawTable(sheet, header_row, columns)
    table.rows = [
        (r, cells)
        for r, cells in enumerate(rows[header_index + 1 :], start=header_row + 1)
        if not all(is_blank(v) for v in cells)
    ]
    return table
