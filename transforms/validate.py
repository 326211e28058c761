"""Validating district workbooks: read, parse, check a batch with the pandera schemas.

`validate_files` is the one entry point: the CLI, the flows and the tests all
call it. Rows of every file in the batch are checked in one pandera call
(per-call overhead dominates at district size), then failures are split back
per file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ntm.schemas import communes as communes_schema
from ntm.schemas import models as models_schema
from ntm.schemas.common import Failure, failures
from ntm.transforms import cells
from ntm.transforms import contract as c
from ntm.transforms.issues import Issue, make_issue
from ntm.transforms.reader import RawWorkbook, is_blank, read_workbook
from ntm.transforms.registry import load_registry, strip_unit_prefix
from ntm.transforms.ruleset import last_covered_year
from ntm.transforms.tables import ParsedTable, parse_table


@dataclass(frozen=True)
class SubmissionInfo:
    province_code: str
    district_code: str
    year: int
    district_name: str | None = None
    prepared_by: str | None = None
    prepared_on: dt.date | None = None


@dataclass
class FileResult:
    path: Path
    file: str
    readable: bool
    info: SubmissionInfo | None = None
    communes: pd.DataFrame | None = None  # excel_row + contract columns, typed
    models: pd.DataFrame | None = None
    issues: list[Issue] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet key -> name as written

    @property
    def errors(self) -> list[Issue]:
        """Return the error issues."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Return the warning issues."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def accepted(self) -> bool:
        """Return True when the file can be loaded: readable and without error."""
        return self.readable and not self.errors


def validate_file(path: Path, name: str | None = None) -> FileResult:
    """Return the validation result of one workbook."""
    return validate_files([path], [name] if name else None)[0]


def validate_files(paths: Sequence[Path], names: Sequence[str] | None = None) -> list[FileResult]:
    """Return one result per workbook, every problem of every file reported."""
    names = list(names) if names is not None else [p.name for p in paths]
    results: list[FileResult] = []
    tables: dict[str, list[ParsedTable | None]] = {"communes": [], "models": []}
    for path, name in zip(paths, names, strict=True):
        raw = read_workbook(path, name)
        result = FileResult(path=path, file=name, readable=raw.readable, issues=list(raw.issues))
        result.info = _parse_info(raw, result.issues)
        year = result.info.year if result.info else None
        for spec in c.TABLE_SHEETS:
            table = raw.tables.get(spec.key)
            parsed = parse_table(table, spec, name, year) if table is not None else None
            if table is not None and parsed is not None:
                result.sheets[spec.key] = table.sheet
                result.issues.extend(parsed.issues)
            tables[spec.key].append(parsed)
        results.append(result)
    _check_batch(results, tables["communes"], communes_schema.CommuneRows, communes_schema.ANCHORS)
    _check_batch(results, tables["models"], models_schema.ModelRows, models_schema.ANCHORS)
    for result, parsed in zip(results, tables["communes"], strict=True):
        if parsed is not None and result.info is not None:
            result.issues.extend(_check_coverage(result, parsed))
    for result, ptab, mtab in zip(results, tables["communes"], tables["models"], strict=True):
        rank = {None: 0, result.sheets.get("communes"): 2, result.sheets.get("models"): 3}
        result.issues.sort(key=lambda i: (rank.get(i.sheet, 1), i.row or 0))
        if result.accepted and ptab is not None and mtab is not None:
            result.communes = ptab.frame
            result.models = mtab.frame
    return results


def _parse_info(raw: RawWorkbook, issues: list[Issue]) -> SubmissionInfo | None:
    """Return the submission's declared district and year, adding an issue per problem."""
    if raw.info_sheet is None:
        return None
    sheet, file, reg = raw.info_sheet, raw.file, load_registry()
    values: dict[str, object] = {}

    def problem(rule: str, key: str, detail: object = "") -> None:
        entry = raw.info[key]
        issues.append(
            make_issue(
                rule,
                file=file,
                sheet=sheet,
                row=entry.row,
                column=entry.label,
                value=entry.value,
                detail=detail,
            )
        )

    for col in c.INFO.columns:
        entry = raw.info.get(col.key)
        if entry is None or is_blank(entry.value):
            if col.required:
                issues.append(make_issue("info_missing", file=file, sheet=sheet, column=col.label))
            continue
        if col.key == "province_code":
            value, rule = cells.parse_code(entry.value, 2)
            if rule:
                problem("info_invalid", col.key, "a 2-digit province code such as 26")
            elif value not in reg.province_names:
                problem("province_unknown", col.key)
            else:
                values[col.key] = value
        elif col.key == "district_code":
            value, rule = cells.parse_code(entry.value, 3)
            if rule:
                problem("info_invalid", col.key, "a 3-digit district code such as 119")
            elif value not in reg.district_by_code:
                problem("district_unknown", col.key)
            else:
                values[col.key] = value
        elif col.key == "year":
            last = last_covered_year()
            value, rule = cells.parse_year(entry.value, c.FIRST_YEAR, last)
            if rule:
                problem("info_invalid", col.key, f"a year from {c.FIRST_YEAR} to {last}")
            else:
                values[col.key] = value
        elif col.key == "prepared_on":
            value, rule = cells.parse_date(entry.value)
            if rule:
                problem("info_invalid", col.key, "a date such as 15/01/2024")
            else:
                values[col.key] = value
        else:
            values[col.key] = str(entry.value).strip()

    district = values.get("district_code")
    province = values.get("province_code")
    if district and province:
        name, district_province = reg.district_by_code[str(district)]
        if district_province != province:
            problem(
                "district_not_in_province",
                "district_code",
                f"{province} ({reg.province_names[str(province)]})",
            )
            return None
        given = values.get("district_name")
        if given and strip_unit_prefix(str(given)) != strip_unit_prefix(name):
            problem("district_name_mismatch", "district_name", name)
    if not (district and province and "year" in values):
        return None
    return SubmissionInfo(
        province_code=str(province),
        district_code=str(district),
        year=int(str(values["year"])),
        district_name=_opt(values.get("district_name")),
        prepared_by=_opt(values.get("prepared_by")),
        prepared_on=values.get("prepared_on"),  # type: ignore[arg-type]
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _check_batch(
    results: list[FileResult],
    parsed: list[ParsedTable | None],
    schema: type,
    anchors: dict[str, str],
) -> None:
    """Validate the rows of every file in one pandera call and add the issues per file."""
    frames = []
    for i, (result, table) in enumerate(zip(results, parsed, strict=True)):
        if table is None or table.frame.empty:
            continue
        frame = table.frame.copy()
        frame.insert(0, "file_index", i)
        info = result.info
        frame.insert(2, "submitted_district", info.district_code if info else None)
        frame.insert(3, "report_year", info.year if info else None)
        frames.append(frame)
    if not frames:
        return
    batch = pd.concat(frames, ignore_index=True)
    batch = batch.astype({"submitted_district": "string", "report_year": "Int64"})
    for failure in failures(schema, batch, anchors):
        results[failure.file_index].issues.append(
            _issue_for(failure, results[failure.file_index], parsed[failure.file_index], batch)
        )


def _issue_for(
    failure: Failure, result: FileResult, table: ParsedTable | None, batch: pd.DataFrame
) -> Issue:
    assert table is not None  # a failure always comes from a parsed table
    key = failure.column or "commune_code"
    value = failure.value
    detail: object = ""
    rows = batch[
        (batch["file_index"] == failure.file_index) & (batch["excel_row"] == failure.excel_row)
    ]
    row = rows.iloc[0]
    reg = load_registry()
    if failure.rule in communes_schema.COMPARED_WITH:
        detail = row[communes_schema.COMPARED_WITH[failure.rule]]
    elif failure.rule == "commune_duplicate":
        same = batch[(batch["file_index"] == failure.file_index) & (batch["commune_code"] == value)]
        detail = ", ".join(str(r) for r in same["excel_row"])
    elif failure.rule in ("commune_wrong_district", "model_commune_unknown"):
        found = reg.commune_by_code.get(str(value))
        if found:
            district_name, _ = reg.district_by_code[found[1]]
            detail = f"{district_name} ({found[1]})"
            if failure.rule == "model_commune_unknown":
                detail = f": it belongs to {detail}"
    elif failure.rule == "year_started_invalid":
        detail = result.info.year if result.info else ""
    return make_issue(
        failure.rule,
        file=result.file,
        sheet=result.sheets.get(
            "models" if failure.rule.startswith(("model", "year")) else "communes"
        ),
        row=failure.excel_row,
        column=table.headers.get(key, key),
        value=value,
        detail=detail,
    )


def _check_coverage(result: FileResult, parsed: ParsedTable) -> list[Issue]:
    """Return the issues comparing the listed communes with the registry's for the district."""
    assert result.info is not None
    reg = load_registry()
    expected = reg.communes_of(result.info.district_code)
    sheet = result.sheets["communes"]
    frame = parsed.frame
    out: list[Issue] = []
    if frame.empty:
        if len(expected):
            out.append(
                make_issue("communes_empty", file=result.file, sheet=sheet, detail=len(expected))
            )
        return out
    listed = set(frame["commune_code"].dropna())
    for code, name in zip(expected["commune_code"], expected["commune_name"], strict=True):
        if code not in listed:
            out.append(
                make_issue(
                    "commune_not_listed", file=result.file, sheet=sheet, value=code, detail=name
                )
            )
    names = frame.dropna(subset=["commune_code", "commune_name"])
    for row, code, name in zip(
        names["excel_row"], names["commune_code"], names["commune_name"], strict=True
    ):
        found = reg.commune_by_code.get(code)
        if found and strip_unit_prefix(name) != strip_unit_prefix(found[0]):
            out.append(
                make_issue(
                    "commune_name_mismatch",
                    file=result.file,
                    sheet=sheet,
                    row=int(row),
                    column=parsed.headers["commune_name"],
                    value=name,
                    detail=found[0],
                )
            )
    return out
