"""The feedback workbook for a submission with issues: what to fix, and where, in place.

It holds a sheet listing every issue (Vietnamese and English) and a copy of
each sheet of the district's file, values at the same cell positions, with
each offending cell highlighted and carrying a comment. Originals in .xls or
.ods give an .xlsx copy. The input is plain data (issue rows and the
original's path), so it can be fed from a validation result or from
`ops.validation_issues` alike.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine as pc

from transforms.atomic import replace_atomically
from transforms.workbook.columns import parse_ref
from transforms.workbook.guard import MAX_SHEET_ROWS, check_before_opening
from transforms.workbook.writer import Cell, SheetData, write_workbook

ISSUES_SHEET = "Danh sách lỗi"
ISSUE_HEADERS = (
    "STT",
    "Mức độ",
    "Sheet",
    "Ô",
    "Dòng",
    "Cột",
    "Giá trị",
    "Mã lỗi",
    "Nội dung (tiếng Việt)",
    "Message (English)",
)
ERROR_FILL = "#FFC7CE"
WARNING_FILL = "#FFEB9C"
SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_MAX_COLUMN_WIDTH = 50.0


@dataclass(frozen=True)
class IssueRow:
    """One issue as the feedback workbook needs it."""

    severity: str
    sheet: str | None
    row: int | None  # Excel row number
    column: str | None  # header as the file wrote it (a column letter for formula cells)
    value: str | None
    rule: str
    message: str
    message_vi: str
    cell: str | None = None  # "D7", as the reader found it; None: the sheet or the file


def _get(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, Mapping):
            if name in item:
                return item[name]
        elif hasattr(item, name):
            return getattr(item, name)
    return None


def _opt_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text != "" else None


def _opt_int(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def issue_rows(result_like: Any) -> list[IssueRow]:
    """Return the issues of a validation result, or of a list of Issue objects or dicts.

    Dicts may use ``column`` or ``column_name`` (as in ``ops.validation_issues``).
    """
    items: Iterable[Any] = getattr(result_like, "issues", result_like)
    out = []
    for item in items:
        out.append(
            IssueRow(
                severity=str(_get(item, "severity") or "error"),
                sheet=_opt_text(_get(item, "sheet")),
                row=_opt_int(_get(item, "row")),
                column=_opt_text(_get(item, "column", "column_name")),
                value=_opt_text(_get(item, "value")),
                rule=str(_get(item, "rule") or ""),
                message=str(_get(item, "message") or ""),
                message_vi=str(_get(item, "message_vi") or ""),
                cell=_opt_text(_get(item, "cell")),
            )
        )
    return out


# --- reading the original ---------------------------------------------------------------


@dataclass
class OriginalSheet:
    name: str
    rows: list[list[Cell]]  # from A1, zero-based
    merges: list[tuple[int, int, int, int]]
    note: str | None = None  # why the values were not copied


def _cell(value: Any) -> Cell:
    """Return a calamine value as a value the workbook writer takes."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, str | int | float | bool | dt.date):
        return value
    # times of day and durations have no writer type: keep what the officer sees
    return str(value)


def read_original(path: Path) -> list[OriginalSheet]:
    """Return every sheet of a workbook (xlsx, xlsm, xls, ods) with values at their positions."""
    sheets: list[OriginalSheet] = []
    # the same guard as validation: a hostile file must never reach calamine
    guard = check_before_opening(path)
    if guard.stop is not None:
        raise ValueError(guard.stop.message)
    wb = pc.CalamineWorkbook.from_path(str(path))
    try:
        for name in wb.sheet_names:
            if not guard.may_load(name):
                sheets.append(OriginalSheet(name, [], [], "sheet too large; not copied"))
                continue
            sheet = wb.get_sheet_by_name(name)
            if sheet.total_height > MAX_SHEET_ROWS:
                sheets.append(
                    OriginalSheet(
                        name, [], [], f"sheet has {sheet.total_height:,} rows; not copied"
                    )
                )
                continue
            rows = [[_cell(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            merges = [
                (r1, c1, r2, c2)
                for (r1, c1), (r2, c2) in (getattr(sheet, "merged_cell_ranges", None) or [])
            ]
            sheets.append(OriginalSheet(name, rows, merges))
    finally:
        wb.close()
    return sheets


# --- writing ------------------------------------------------------------------------------


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name)[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _widths(rows: Sequence[Sequence[Cell]]) -> dict[int, float]:
    widths: dict[int, float] = {}
    for row in rows[:200]:
        for j, v in enumerate(row):
            if v is None:
                continue
            text = v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else str(v)
            widths[j] = max(widths.get(j, 8.0), min(_MAX_COLUMN_WIDTH, len(text) * 1.1 + 2))
    return widths


def _comment(issues: list[IssueRow]) -> str:
    parts = [
        f"[{SEVERITY_VI.get(i.severity, i.severity)}] {i.message_vi}\n(EN) {i.message}"
        for i in issues
    ]
    return "\n\n".join(parts)


def feedback_sheets(
    issues: Sequence[IssueRow], originals: Sequence[OriginalSheet], file_name: str
) -> list[SheetData]:
    """Return the issue list sheet and the marked copies of the original sheets."""
    taken = {s.name.lower() for s in originals}
    list_name = _sheet_name(ISSUES_SHEET, taken)
    by_sheet = {s.name: s for s in originals}
    placed: dict[str, dict[tuple[int, int], list[IssueRow]]] = {}
    for issue in issues:
        sheet = by_sheet.get(issue.sheet or "")
        at = parse_ref(issue.cell) if issue.cell else None
        if sheet is not None and not sheet.note and at is not None:
            placed.setdefault(sheet.name, {}).setdefault(at, []).append(issue)
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    listing: list[list[Cell]] = [
        [f"Phản hồi cho tệp {file_name}: {errors} lỗi, {warnings} cảnh báo"],
        [
            "Sửa các ô được tô màu trong các sheet sao chép phía sau (di chuột vào ô để xem lý do),"
            " hoặc sửa trong tệp gốc tại cùng vị trí, rồi gửi lại tệp."
        ],
        list(ISSUE_HEADERS),
    ]
    for n, issue in enumerate(issues, start=1):
        listing.append(
            [
                n,
                SEVERITY_VI.get(issue.severity, issue.severity),
                issue.sheet,
                issue.cell,
                issue.row,
                issue.column,
                issue.value,
                issue.rule,
                issue.message_vi,
                issue.message,
            ]
        )
    out = [
        SheetData(
            list_name,
            listing,
            bold_rows=frozenset({0, 2}),
            column_widths={0: 6, 1: 10, 2: 14, 3: 8, 4: 7, 5: 28, 6: 20, 7: 24, 8: 80, 9: 80},
            freeze_rows=3,
        )
    ]
    copied: set[str] = {list_name.lower()}
    for sheet in originals:
        marks = placed.get(sheet.name, {})
        fills = {
            at: ERROR_FILL if any(i.severity == "error" for i in found) else WARNING_FILL
            for at, found in marks.items()
        }
        rows: list[list[Cell]] = sheet.rows if not sheet.note else [[f"({sheet.note})"]]
        out.append(
            SheetData(
                _sheet_name(sheet.name, copied),
                rows,
                merges=sheet.merges,
                column_widths=_widths(rows),
                fills=fills,
                comments={at: _comment(found) for at, found in marks.items()},
            )
        )
    return out


def write_feedback(
    result_like: Any, original_path: Path, out_path: Path, file_name: str | None = None
) -> Path:
    """Write the feedback workbook (.xlsx) for a submission's issues; return out_path.

    ``result_like`` is a validation result (anything with ``.issues``) or a
    list of issue rows (Issue objects or dicts with sheet, row, column or
    column_name, value, rule, message, message_vi, severity). ``file_name``
    is the name the district sent (default: the result's, else the
    original's), shown in the title. The file is replaced atomically.
    """
    original_path, out_path = Path(original_path), Path(out_path)
    if out_path.suffix.lower() != ".xlsx":
        raise ValueError(f"the feedback workbook is an .xlsx file, not {out_path.name}")
    issues = issue_rows(result_like)
    try:
        originals = read_original(original_path)
    except Exception as exc:  # an unreadable original still gets its list of issues
        originals = []
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "unreadable"
        issues.append(
            IssueRow(
                "warning",
                None,
                None,
                None,
                None,
                "feedback_copy_unavailable",
                f"The original could not be copied into this workbook ({reason}).",
                f"Không sao chép được tệp gốc vào bảng tính này ({reason}).",
            )
        )
    shown = file_name or getattr(result_like, "file", None) or original_path.name
    sheets = feedback_sheets(issues, originals, str(shown))
    with replace_atomically(out_path) as tmp:
        write_workbook(tmp, sheets, author="ntm")
    return out_path
