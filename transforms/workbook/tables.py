"""From a sheet's raw table to a typed frame: row kinds, cell parsing, totals."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from transforms.validation.issues import Issue, make_issue
from transforms.workbook import cells
from transforms.workbook import contract as c
from transforms.workbook.names import normalise
from transforms.workbook.reader import RawTable, is_blank

# Columns whose values tell a data row from a note line when the code is missing.
_DATA_MARKERS = {
    "communes": c.COMMUNES.keys_of_type("count"),
    "models": ["model_type", "is_effective"],
}
_PANDAS_TYPES = {
    "count": "Int64",
    "integer": "Int64",
    "yesno": "boolean",
    "code5": "string",
    "text": "string",
    "enum": "string",
}


@dataclass
class ParsedTable:
    # one dict per data row: excel_row + a parsed value per contract column (None if unreadable)
    records: list[dict[str, object]]
    issues: list[Issue]
    headers: dict[str, str]  # column key -> header as written (or the contract label)
    # where each column is, for the cell of an issue found later; its rows are left out
    # (see parse_table)
    table: RawTable

    def cell_ref(self, row: int, key: str) -> str | None:
        """Return the reference of a column's cell in an Excel row, None when it is absent."""
        return self.table.cell_ref(row, key)


# One table's rows for a batch frame: the values of the context columns, the same for all
# its rows, and its records.
FramePart = tuple[Mapping[str, object], Sequence[Mapping[str, object]]]


def typed_frame(spec: c.Sheet, parts: Sequence[FramePart], extra: dict[str, str]) -> pd.DataFrame:
    """Return the rows of many tables as one typed frame (one pandas construction per batch).

    `extra` names the context columns and their dtypes. The frame is built column by
    column: built from one merged dict per row, it would first hold a second copy of
    every row (at national size some 220,000 dicts) in the run's memory.
    """
    dtypes = {
        **extra,
        "excel_row": "int64",
        **{col.key: _PANDAS_TYPES[col.type] for col in spec.columns},
    }
    columns = {
        key: (
            [context[key] for context, records in parts for _ in records]
            if key in extra
            else [record[key] for _, records in parts for record in records]
        )
        for key in dtypes
    }
    return pd.DataFrame(columns, columns=list(dtypes)).astype(dtypes)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or is_blank(value):
        return False
    if isinstance(value, int | float):
        return True
    return cells.parse_count(value)[1] != "count_not_number"


def _name_text(table: RawTable, row: list[object]) -> str:
    """Return the row's label: its name cell, else its first text cell."""
    name = table.cell(row, "commune_name")
    if not is_blank(name):
        return str(name)
    return next((str(v) for v in row if isinstance(v, str) and v.strip()), "")


def parse_table(table: RawTable, spec: c.Sheet, file: str, report_year: int | None) -> ParsedTable:
    """Return the typed rows of a table sheet with an issue for every unreadable cell."""
    issues: list[Issue] = []
    headers = {col.key: table.header(col.key) for col in spec.columns}

    def issue(rule: str, row: int, key: str, value: object, detail: object = "") -> None:
        issues.append(
            make_issue(
                rule,
                file=file,
                sheet=table.sheet,
                row=row,
                column=headers[key],
                value=value,
                detail=detail,
                cell=table.cell_ref(row, key),
            )
        )

    data_rows: list[tuple[int, list[object]]] = []
    total_rows: list[tuple[int, list[object]]] = []
    markers = [k for k in _DATA_MARKERS[spec.key] if k in table.columns]
    for r, row in table.rows:
        code = table.cell(row, "commune_code")
        has_data = any(
            _is_number(v) if spec.key == "communes" else not is_blank(v)
            for v in (table.cell(row, k) for k in markers)
        )
        blank_code = is_blank(code)
        if not blank_code and has_data:  # most rows: settled without looking further
            data_rows.append((r, row))
            continue
        # Titles and signatures ("Tổng cộng", "Người lập biểu", a place and date)
        # are often typed in the code column: text that is no code is a label.
        is_label = isinstance(code, str) and not blank_code and cells.parse_code(code, 5)[1]
        if not blank_code and not is_label:
            data_rows.append((r, row))
            continue
        label = str(code) if is_label else _name_text(table, row)
        if normalise(label).startswith(c.TOTAL_PREFIXES):
            total_rows.append((r, row))
        elif has_data:
            issue("commune_code_missing", r, "commune_code", None)
        # else: a note or signature line, ignored

    ticks = {
        col.key: cells.is_tick_column([table.cell(row, col.key) for _, row in data_rows])
        for col in spec.columns
        if col.type == "yesno"
    }
    # each column's place and parser, found once per sheet: the loop below runs per cell
    columns = [
        (col, table.columns[col.key][1], _cell_parser(col, ticks.get(col.key, False), report_year))
        for col in spec.columns
        if col.key in table.columns
    ]
    absent = dict.fromkeys(col.key for col in spec.columns if col.key not in table.columns)
    records: list[dict[str, object]] = []
    for r, row in data_rows:
        rec: dict[str, object] = {"excel_row": r, **absent}
        width = len(row)
        for col, index, parse in columns:
            raw = row[index] if index < width else ""
            value, rule = parse(raw)
            rec[col.key] = value
            if rule is None:
                continue
            detail: object = ""
            if rule.startswith("enum"):
                detail = cells.enum_choices(col)
            elif rule == "code_invalid":
                detail = cells.hidden_characters_note(raw)
            elif rule == "year_started_invalid":
                detail = report_year if report_year else c.FIRST_YEAR
            issue(rule, r, col.key, raw, detail)
        records.append(rec)

    if spec.key == "communes":
        issues.extend(_check_totals(table, total_rows, records, headers, file))
    # the cells are parsed into records: a parsed table that kept them would carry them
    # from the reader's process and hold them until the batch is checked (at national
    # size, 4,872 files, they are nearly half of what reading brings into the run)
    return ParsedTable(records, issues, headers, table.without_rows())


def _cell_parser(
    col: c.Column, tick: bool, report_year: int | None
) -> Callable[[object], cells.Parsed]:
    """Return the function that parses a cell of this column."""
    if col.type == "count":
        return functools.partial(cells.parse_count, blank_is_error=col.blank_is_error)
    if col.type == "yesno":
        return functools.partial(cells.parse_yesno, tick_column=tick)
    if col.type == "enum":
        return functools.partial(cells.parse_enum, column=col)
    if col.type == "code5":
        return functools.partial(cells.parse_code, width=5)
    if col.type == "integer":  # year_started, optional
        return functools.partial(_parse_year_started, report_year=report_year)
    return _parse_text


def _parse_year_started(raw: object, report_year: int | None) -> cells.Parsed:
    if is_blank(raw):
        return None, None
    year, rule = cells.parse_year(raw, 1945, report_year or 9999)
    return year, ("year_started_invalid" if rule else None)


def _parse_text(raw: object) -> cells.Parsed:
    return (None if is_blank(raw) else str(raw).strip()), None


def _check_totals(
    table: RawTable,
    total_rows: list[tuple[int, list[object]]],
    records: list[dict[str, object]],
    headers: dict[str, str],
    file: str,
) -> list[Issue]:
    """Return a warning for every total cell that differs from its column's sum."""
    out = []
    for r, row in total_rows:
        for key in c.COMMUNES.keys_of_type("count"):
            raw = table.cell(row, key)
            if is_blank(raw):
                continue
            value, rule = cells.parse_count(raw)
            column_sum = sum(int(v) for v in (rec[key] for rec in records) if isinstance(v, int))
            if rule is None and value != column_sum:
                out.append(
                    make_issue(
                        "total_mismatch",
                        file=file,
                        sheet=table.sheet,
                        row=r,
                        column=headers[key],
                        value=raw,
                        detail=f"sum {column_sum}",
                        cell=table.cell_ref(r, key),
                    )
                )
    return out
