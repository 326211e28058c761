"""Reading a district workbook with python-calamine: file checks, sheets, info, table cells.

The reader is forgiving about layout and reports, never raises, on bad input:
everything it returns carries Excel's own row numbers and the headers as the
district wrote them.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as pc
from ntm.transforms import contract as c
from ntm.transforms.issues import Issue, make_issue
from ntm.transforms.names import normalise

_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A district has at most a few hundred communes and models; a sheet far
# taller than that is hostile or broken, and is not loaded into memory.
MAX_SHEET_ROWS = 20_000


def column_letter(index: int) -> str:
    """Return Excel's column letters for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


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


@dataclass
class RawWorkbook:
    file: str
    info_sheet: str | None = None
    info: dict[str, InfoEntry] = field(default_factory=dict)
    tables: dict[str, RawTable] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True  # False when the file could not be opened at all


def check_file(path: Path, file: str) -> Issue | None:
    """Return the issue that stops a file before parsing (type, size, zip bomb), or None."""
    suffix = path.suffix.lower()
    if suffix not in c.ACCEPTED_SUFFIXES:
        return make_issue("file_type", file=file, value=suffix or "(none)")
    size = path.stat().st_size
    if size == 0:
        return make_issue("file_empty", file=file)
    if size > c.MAX_FILE_BYTES:
        return make_issue(
            "file_too_large", file=file, value=_mb(size), detail=_mb(c.MAX_FILE_BYTES)
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix in _ZIP_SUFFIXES:
        if head == _OLE_MAGIC:
            # Excel saves a password-protected .xlsx as an OLE container.
            return make_issue("file_encrypted", file=file)
        try:
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return make_issue("file_unreadable", file=file, detail=_reason(exc, "not a zip"))
        if unpacked > c.MAX_UNPACKED_BYTES:
            return make_issue(
                "file_unpacked_too_large",
                file=file,
                value=_mb(unpacked),
                detail=_mb(c.MAX_UNPACKED_BYTES),
            )
    elif head != _OLE_MAGIC:
        return make_issue("file_unreadable", file=file, detail="not an Excel 97-2003 file")
    return None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _reason(exc: BaseException, fallback: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else fallback
    return text[:120]


def read_workbook(path: Path, file: str | None = None) -> RawWorkbook:
    """Return the raw content of a workbook, with every layout problem as an issue."""
    file = file or path.name
    out = RawWorkbook(file=file)
    stop = check_file(path, file)
    if stop is not None:
        out.issues.append(stop)
        out.readable = False
        return out
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except pc.PasswordError:
        out.issues.append(make_issue("file_encrypted", file=file))
        out.readable = False
        return out
    except Exception as exc:  # calamine raises several error types for broken files
        out.issues.append(make_issue("file_unreadable", file=file, detail=_reason(exc, "corrupt")))
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
            sheet = wb.get_sheet_by_name(name)
            if sheet.total_height > MAX_SHEET_ROWS:
                out.issues.append(
                    make_issue(
                        "file_unreadable",
                        file=file,
                        sheet=name,
                        detail=f"sheet '{name}' has {sheet.total_height:,} rows; "
                        f"at most {MAX_SHEET_ROWS:,} are read",
                    )
                )
                continue
            rows = sheet.to_python(skip_empty_area=False)
            if spec is c.INFO:
                out.info_sheet = name
                out.info = _read_info(rows)
            else:
                table = _read_table(rows, name, spec, file, out.issues)
                if table is not None:
                    out.tables[spec.key] = table
    except Exception as exc:  # a sheet that fails to decode mid-way is still a file problem
        out.issues.append(make_issue("file_unreadable", file=file, detail=_reason(exc, "corrupt")))
        out.readable = False
    finally:
        wb.close()
    return out


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
                value = filled[1][1] if len(filled) > 1 else ""
                info[col.key] = InfoEntry(value, r, label.strip())
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
                make_issue("column_unknown", file=file, sheet=sheet, row=header_row, column=text)
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
