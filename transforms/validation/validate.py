"""Validating district workbooks: read, parse, check a batch with the pandera schemas.

`validate_files` is the one entry point: the CLI, the flows and the tests all
call it. It runs in two phases that may happen on different machines: reading
(`read_files`, or `read_bytes`/`read_to_read` per file on a remote worker) gives
plain records per file, with what the file alone decides (its cells, its registry
version, its communes against that version's); checking (`check_read`) validates
the rows of every file in the batch in one pandera call (per-call overhead
dominates at district size), then splits failures back per file.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from transforms.reference import versions as rv
from transforms.reference.registry import Registry
from transforms.reference.ruleset import last_covered_year
from transforms.validation import workers as workers_
from transforms.validation.issues import Issue, make_issue
from transforms.workbook import cells
from transforms.workbook import contract as c
from transforms.workbook.reader import RawWorkbook, is_blank, read_workbook
from transforms.workbook.tables import ParsedTable, parse_table, typed_frame

if TYPE_CHECKING:
    from schemas.common import Failure

# The sheet schemas (pandera) are imported where rows are checked, not above: the readers'
# processes import this module to read files and never check rows (pandera is a tenth
# of a second of their start).


@dataclass(frozen=True)
class SubmissionInfo:
    province_code: str
    district_code: str
    year: int
    district_name: str | None = None
    prepared_by: str | None = None
    prepared_on: dt.date | None = None
    # where the district name was written (sheet, row, label, cell): the name is compared
    # with the registry once the file's version is chosen
    district_name_at: tuple[str, int | None, str, str | None] | None = None


CONTEXT_DTYPES = {
    "file_index": "int64",
    "submitted_district": "string",
    "report_year": "Int64",
    "registry_version": "string",
}


@dataclass(frozen=True)
class BatchRows:
    """The typed rows of every file validated together, each tagged with its file_index."""

    communes: pd.DataFrame
    models: pd.DataFrame

    def of(self, sheet: str, index: int) -> pd.DataFrame:
        """Return one file's rows of a sheet, without the batch context columns."""
        frame: pd.DataFrame = getattr(self, sheet)
        part = frame[frame["file_index"] == index]
        return part.drop(columns=list(CONTEXT_DTYPES)).reset_index(drop=True)

    def empty(self) -> BatchRows:
        """Return a batch with the same columns and no rows."""
        return BatchRows(self.communes.iloc[0:0], self.models.iloc[0:0])


@dataclass
class FileResult:
    path: Path
    file: str
    readable: bool
    info: SubmissionInfo | None = None
    issues: list[Issue] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet key -> name as written
    # the registry version the file is checked against (registry.md); None without info
    registry_version: str | None = None
    # the reader itself failed on the file (raised, crashed, ran out of memory or time):
    # nothing may open it again in the pipeline's own process
    reader_failed: bool = False

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


@dataclass(frozen=True)
class Validated:
    """Files checked together: one result per file, in order, and the typed rows of all of
    them, each row tagged with its file's position in `results` (file_index)."""

    results: list[FileResult]
    rows: BatchRows


def validate_file(path: Path, name: str | None = None) -> FileResult:
    """Return the validation result of one workbook."""
    return validate_files([path], [name] if name else None)[0]


# One file read: its result so far (file, info, cell issues) and its parsed tables, one per
# table sheet (None when the sheet is absent). Plain data: it crosses process boundaries.
ReadFile = tuple[FileResult, list[ParsedTable | None]]


def read_file(path: Path, name: str) -> ReadFile:
    """Return one file's result so far (file, info and cell issues) and its parsed tables."""
    raw = read_workbook(path, name)
    result = FileResult(path=path, file=name, readable=raw.readable, issues=list(raw.issues))
    result.info = _parse_info(raw, result.issues)
    year = result.info.year if result.info else None
    parsed: list[ParsedTable | None] = []
    for spec in c.TABLE_SHEETS:
        table = raw.tables.get(spec.key)
        if table is None:
            parsed.append(None)
            continue
        result.sheets[spec.key] = table.sheet
        tab = parse_table(table, spec, name, year)
        result.issues.extend(tab.issues)
        parsed.append(tab)
    # here, by the reader: a file's version, and its communes against that version's,
    # depend on that file alone. The readers hold every version's name forms (preload.py):
    # in the process checking the batch, comparing a national year's 10,000 names was
    # 0.2-0.4 s of a tail the other core sat out.
    communes = parsed[c.TABLE_SHEETS.index(c.COMMUNES)]
    _choose_version(result, communes)
    if communes is not None and result.info is not None:
        result.issues.extend(_check_coverage(result, communes))
    return result, parsed


def read_bytes(name: str, data: bytes, path: Path | None = None) -> ReadFile:
    """Return what `read_file` returns for a file given by its content.

    The bytes go to a private temporary file named with the suffix of `path` (or
    of `name`), since the reader checks the type by suffix; the result's path is
    `path`, or the name when none is given.
    """
    suffix = (path or Path(name)).suffix
    with tempfile.TemporaryDirectory(prefix="ntm-read-") as tmp:
        local = Path(tmp) / f"file{suffix}"
        local.write_bytes(data)
        result, parsed = safe_read_file(local, name)
    result.path = path if path is not None else Path(name)
    return result, parsed


@dataclass(frozen=True)
class ToRead:
    """One file for a reader in another process or on another host.

    Either its content travels (`data`), or the reader opens it on a folder it
    shares with the sender (`shared`, the path as the reader sees it). `path` is
    the file as the sender knows it; the result carries it back. `reader` is the
    sender's reader_fingerprint(): a reader whose own differs (or a sender giving none)
    refuses the file.
    """

    path: Path
    name: str
    data: bytes | None = None
    shared: Path | None = None
    reader: str | None = None


class OtherReader(RuntimeError):
    """A reader on another host runs other code, registry data or python-calamine than the
    sender."""


_SOURCE_SUFFIXES = frozenset({".py", ".toml", ".json", ".csv", ".gz"})


@functools.cache
def reader_fingerprint() -> str:
    """Return a digest of what a read result depends on besides the file: this project's
    code and registry data (transforms/, rulesets/) and the spreadsheet reader's release.

    A Dask worker keeps the code it started with: one left running an older checkout
    would judge files by other rules (or check a file's communes twice, or never) and
    send back results that look like any other.
    """
    digest = hashlib.sha256(importlib.metadata.version("python-calamine").encode())
    root = Path(__file__).resolve().parents[2]
    for folder in ("transforms", "rulesets"):
        for path in sorted((root / folder).rglob("*")):
            # what a checkout holds there: not bytecode, not an editor's backup
            if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def read_to_read(item: ToRead) -> ReadFile:
    """Return the read result of one file sent to a reader, with the sender's path; raise
    OtherReader when this reader's code or data differ from the sender's."""
    if item.reader != reader_fingerprint():
        # a host of a release before fingerprints sends none
        host = item.reader[:12] if item.reader else "none"
        raise OtherReader(
            "this reader runs other code, registry data or python-calamine than the flow's "
            f"host (fingerprint {reader_fingerprint()[:12]}, the host's {host}): "
            "restart it from the host's checkout"
        )
    if item.data is not None:
        return read_bytes(item.name, item.data, item.path)
    result, parsed = safe_read_file(item.shared or item.path, item.name)
    result.path = item.path
    return result, parsed


def read_files(
    items: Sequence[tuple[Path, str]],
    workers: int,
    limits: workers_.Limits | None = None,
    stats: workers_.Stats | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[ReadFile]:
    """Return the read result of every (path, name), in order; `meanwhile` runs in this
    process while the workers read.

    Every file is read in a worker process with a memory and a time limit
    (workers.py): whatever one file does to its reader (an exception, a native
    crash, running out of memory or time) ends in that file alone being rejected
    with one clear issue, and the others are read on.
    """
    # the checks after reading need them here anyway; loaded first, forked workers share
    # them instead of each loading its own
    rv.load_versions()
    last_covered_year()
    pool = workers_.Pool(
        fn=_read_item,
        on_failure=_unread,
        workers=max(1, workers),
        limits=limits or READ_LIMITS,
        stats=stats if stats is not None else workers_.Stats(),
    )
    return pool.map(list(items), meanwhile)


def prepare_readers(files: int, threads: bool | None = None) -> None:
    """Get the reader workers' start ready ahead of a batch of about this many files (see
    workers.prepare)."""
    workers_.prepare(files, threads)


# What reading one district file may take (it needs milliseconds and a few MB);
# NTM_READ_MEMORY_MB and NTM_READ_SECONDS change them.
READ_LIMITS = workers_.Limits.from_env()


def _read_item(item: tuple[Path, str]) -> ReadFile:
    return read_file(*item)


def safe_read_file(path: Path, name: str) -> ReadFile:
    """Return what `read_file` returns, or the file rejected when reading it raised."""
    try:
        return read_file(path, name)
    except MemoryError:
        return _unread((path, name), workers_.Failure("memory"))
    except Exception as exc:  # any exception of one file is that file's alone
        return _unread((path, name), workers_.Failure("error", type(exc).__name__))


def _unread(item: tuple[Path, str], failure: workers_.Failure) -> ReadFile:
    """Return the result of a file whose reading ended without one: rejected, one issue."""
    path, name = item
    if failure.kind == "memory":
        asked = f" ({_size(int(failure.detail))})" if failure.detail.isdigit() else ""
        issue = make_issue(
            "file_hostile",
            file=name,
            detail=f"reading it would need far more memory{asked} than any district workbook",
        )
    elif failure.kind == "time":
        issue = make_issue(
            "file_unreadable",
            file=name,
            detail=f"reading it took longer than {failure.detail or READ_LIMITS.seconds} seconds, "
            "far longer than any district workbook",
        )
    elif failure.kind == "crash":
        issue = make_issue(
            "file_unreadable", file=name, detail="the spreadsheet reader stopped on damaged content"
        )
    else:
        issue = make_issue(
            "file_unreadable",
            file=name,
            detail="its content is damaged in a way that cannot be read",
        )
    result = FileResult(path=path, file=name, readable=False, issues=[issue], reader_failed=True)
    return result, [None for _ in c.TABLE_SHEETS]


def checked_anyway(paths: Sequence[Path]) -> list[FileResult]:
    """Return one rejected result per file, for when checking them failed as a whole."""
    failure = workers_.Failure("error")
    return [_unread((path, path.name), failure)[0] for path in paths]


def _size(n: int) -> str:
    return f"{n / 1024**3:,.1f} GB" if n >= 1024**3 else f"{n / 1024**2:,.0f} MB"


def validate_files(
    paths: Sequence[Path], names: Sequence[str] | None = None, workers: int | None = None
) -> list[FileResult]:
    """Return one result per workbook, every problem of every file reported."""
    return validate_batch(paths, names, workers).results


def validate_batch(
    paths: Sequence[Path], names: Sequence[str] | None = None, workers: int | None = None
) -> Validated:
    """Return the results and typed rows of workbooks validated together.

    Files are read in parallel (`workers`, default: one per core) and their rows
    checked together in one pandera call per sheet.
    """
    names = list(names) if names is not None else [p.name for p in paths]
    items = list(zip(paths, names, strict=True))
    # the checks' schemas (pandera, a sixth of a second) are imported while the files are read
    return check_read(read_files(items, workers or os.cpu_count() or 1, meanwhile=_schemas))


def _schemas() -> None:
    from schemas import communes, models  # noqa: F401


def check_read(read: Sequence[ReadFile]) -> Validated:
    """Return the results of files read (in any process): batch checks, coverage, sorted issues.

    The rows of every file are checked in one pandera call per sheet; the results
    come in the order read, with the typed rows of the batch. Should checking the
    batch fail on something in one file, the files that make it fail are found
    (by halves) and rejected alone, and the others are checked as usual.
    """
    read = list(read)
    saved = [list(result.issues) for result, _ in read]
    try:
        return _check_all(read)
    except Exception:
        for (result, _), issues in zip(read, saved, strict=True):
            result.issues = list(issues)
    for index in _failing(read, list(range(len(read))), saved):
        result, _ = read[index]
        read[index] = _unchecked(result)
    return _check_all(read)


def _failing(read: list[ReadFile], indexes: list[int], saved: list[list[Issue]]) -> list[int]:
    """Return the indexes among these whose check fails (each file's issues left as read)."""
    try:
        _check_all([read[i] for i in indexes])
        failed = False
    except Exception:
        failed = True
    for i in indexes:
        read[i][0].issues = list(saved[i])
    if not failed:
        return []
    if len(indexes) == 1:
        return indexes
    half = len(indexes) // 2
    return _failing(read, indexes[:half], saved) + _failing(read, indexes[half:], saved)


def _unchecked(result: FileResult) -> ReadFile:
    """Return a file whose rows could not be checked: rejected with one issue, no rows."""
    issue = make_issue(
        "file_unreadable", file=result.file, detail="its values could not be checked"
    )
    rejected = FileResult(
        path=result.path, file=result.file, readable=False, issues=[issue], reader_failed=True
    )
    return rejected, [None for _ in c.TABLE_SHEETS]


def _check_all(read: Sequence[ReadFile]) -> Validated:
    from schemas import communes as communes_schema
    from schemas import models as models_schema

    results = [result for result, _ in read]
    tables: dict[str, list[ParsedTable | None]] = {
        spec.key: [parsed[k] for _, parsed in read] for k, spec in enumerate(c.TABLE_SHEETS)
    }
    frames = {
        spec.key: _check_batch(results, tables[spec.key], spec, schema, anchors)
        for spec, schema, anchors in (
            (c.COMMUNES, communes_schema.CommuneRows, communes_schema.ANCHORS),
            (c.MODELS, models_schema.ModelRows, models_schema.ANCHORS),
        )
    }
    for result in results:
        rank = {None: 0, result.sheets.get("communes"): 2, result.sheets.get("models"): 3}
        # on one row, what is wrong with its values before how it compares with the
        # registry (the readers add the comparison before the batch checks run)
        result.issues.sort(
            key=lambda issue: (
                rank.get(issue.sheet, 1),
                issue.row or 0,
                issue.rule in _COVERAGE_RULES,
            )
        )
    return Validated(results, BatchRows(frames["communes"], frames["models"]))


def _parse_info(raw: RawWorkbook, issues: list[Issue]) -> SubmissionInfo | None:
    """Return the submission's declared district and year, adding an issue per problem."""
    if raw.info_sheet is None:
        return None
    sheet, file, versions = raw.info_sheet, raw.file, rv.load_versions()
    every = tuple(versions)
    values: dict[str, object] = {}

    def problem(rule: str, key: str, detail: object = "", version: str = "") -> None:
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
                cell=entry.cell,
                version=version,
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
            # latest first: the provinces are the same in every version, and a version is
            # parsed only when first asked for
            elif not any(value in versions[v].registry.province_names for v in reversed(every)):
                problem("province_unknown", col.key, version=", ".join(every))
            else:
                values[col.key] = value
        elif col.key == "district_code":
            value, rule = cells.parse_code(entry.value, 3)
            if rule:
                problem("info_invalid", col.key, "a 3-digit district code such as 119")
            else:  # its existence depends on the year: checked below
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

    having: tuple[str, ...] = ()
    if "district_code" in values:
        # the district must exist in a candidate version of the year (registry.md)
        year = values.get("year")
        tried = rv.candidates(int(str(year))) if year is not None else every
        having = rv.versions_with_district(str(values["district_code"]), tried)
        if not having:
            problem(
                "district_unknown",
                "district_code",
                year if year is not None else "any year",
                ", ".join(tried),
            )
            del values["district_code"]
    district = values.get("district_code")
    province = values.get("province_code")
    if district and province:
        theirs = [versions[v].registry.district_by_code[str(district)][1] for v in having]
        if province not in theirs:
            registry = versions[having[-1]].registry
            problem(
                "district_not_in_province",
                "district_code",
                f"{province} ({registry.province_names[str(province)]})",
                ", ".join(having),
            )
            return None
    if not (district and province and "year" in values):
        return None
    name_entry = raw.info.get("district_name")
    return SubmissionInfo(
        province_code=str(province),
        district_code=str(district),
        year=int(str(values["year"])),
        district_name=_opt(values.get("district_name")),
        prepared_by=_opt(values.get("prepared_by")),
        prepared_on=values.get("prepared_on"),  # type: ignore[arg-type]
        district_name_at=(
            (sheet, name_entry.row, name_entry.label, name_entry.cell)
            if name_entry is not None and "district_name" in values
            else None
        ),
    )


def _choose_version(result: FileResult, parsed: ParsedTable | None) -> None:
    """Choose the registry version the file is checked against (registry.md) and compare the
    district name written in `info` with that version's."""
    info = result.info
    if info is None:
        return
    rows = [
        (_opt_code(rec.get("commune_code")), _opt_code(rec.get("commune_name")))
        for rec in (parsed.records if parsed is not None else ())
    ]
    choice = rv.choose_version(info.district_code, info.year, rows)
    result.registry_version = choice.version
    if choice.version is None or not info.district_name or info.district_name_at is None:
        return
    name = _registry(choice.version).district_by_code[info.district_code][0]
    if not rv.names_match(info.district_name, name):
        sheet, row, label, cell = info.district_name_at
        result.issues.append(
            make_issue(
                "district_name_mismatch",
                file=result.file,
                sheet=sheet,
                row=row,
                column=label,
                value=info.district_name,
                detail=name,
                cell=cell,
                version=choice.version,
            )
        )


def _registry(version: str | None) -> Registry:
    """Return the registry of a version (the latest one for None)."""
    return rv.load_versions()[version or rv.latest_version()].registry


def _opt_code(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _check_batch(
    results: list[FileResult],
    parsed: list[ParsedTable | None],
    spec: c.Sheet,
    schema: type,
    anchors: dict[str, str],
) -> pd.DataFrame:
    """Validate the rows of every file in one pandera call; add the issues per file.

    Returns the batch frame: the typed rows of every file with its file_index.
    """
    parts = [
        (_context(i, result), table.records)
        for i, (result, table) in enumerate(zip(results, parsed, strict=True))
        if table is not None
    ]
    from schemas.common import failures

    batch = typed_frame(spec, parts, CONTEXT_DTYPES)
    if batch.empty:
        return batch
    found = list(failures(schema, batch, anchors))
    if found:
        lookup = _BatchLookup(batch)
        for failure in found:
            results[failure.file_index].issues.append(
                _issue_for(failure, results[failure.file_index], parsed[failure.file_index], lookup)
            )
    return batch


def _context(file_index: int, result: FileResult) -> dict[str, object]:
    """Return the batch context columns of a file's rows (CONTEXT_DTYPES)."""
    info = result.info
    return {
        "file_index": file_index,
        "submitted_district": info.district_code if info else None,
        "report_year": info.year if info else None,
        "registry_version": result.registry_version,
    }


# A commune listed many times is reported on each of its rows; the message names
# the first few rows only (a sheet may repeat one row thousands of times).
MAX_ROWS_NAMED = 10


class _BatchLookup:
    """The batch's rows by (file, Excel row) and by (file, commune code), built once: a
    file may have thousands of failures, each looking up its row."""

    def __init__(self, batch: pd.DataFrame) -> None:
        self.batch = batch
        self.position: dict[tuple[int, object], int] = {}
        for k, key in enumerate(zip(batch["file_index"], batch["excel_row"], strict=True)):
            self.position.setdefault(key, k)
        self._same: dict[tuple[int, object], list[object]] | None = None

    def row(self, file_index: int, excel_row: object) -> pd.Series:
        return self.batch.iloc[self.position[(file_index, excel_row)]]

    def rows_with_code(self, file_index: int, code: object) -> list[object]:
        if self._same is None:
            self._same = {}
            columns = (
                self.batch["file_index"],
                self.batch["commune_code"],
                self.batch["excel_row"],
            )
            for fi, value, row in zip(*columns, strict=True):
                self._same.setdefault((fi, value), []).append(row)
        return self._same.get((file_index, code), [])


def _issue_for(
    failure: Failure, result: FileResult, table: ParsedTable | None, lookup: _BatchLookup
) -> Issue:
    from schemas import communes as communes_schema

    assert table is not None  # a failure always comes from a parsed table
    key = failure.column or "commune_code"
    value = failure.value
    detail: object = ""
    row = lookup.row(failure.file_index, failure.excel_row)
    version = result.registry_version
    reg = _registry(version)
    shown = version or ", ".join(rv.load_versions())
    later = False
    if failure.rule in communes_schema.COMPARED_WITH:
        detail = row[communes_schema.COMPARED_WITH[failure.rule]]
    elif failure.rule == "commune_duplicate":
        same = lookup.rows_with_code(failure.file_index, value)
        detail = ", ".join(str(r) for r in same[:MAX_ROWS_NAMED])
        if len(same) > MAX_ROWS_NAMED:
            detail += f" and {len(same) - MAX_ROWS_NAMED:,} more"
    elif failure.rule == "commune_unknown":
        info = result.info
        if info is None or version is None:
            detail = "any district"
        else:
            detail = reg.district_by_code[info.district_code][0]
            later = not any(
                _registry(v).commune_by_code.get(str(value), ("", ""))[1] == info.district_code
                for v in rv.later_candidates(version, info.year)
            )
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
        cell=table.cell_ref(failure.excel_row, key),
        version=shown,
        later=later,
    )


# the rules _check_coverage gives
_COVERAGE_RULES = frozenset({"communes_empty", "commune_not_listed", "commune_name_mismatch"})


def _check_coverage(result: FileResult, parsed: ParsedTable) -> list[Issue]:
    """Return the issues comparing the listed communes with the registry's for the district."""
    assert result.info is not None and result.registry_version is not None
    version = result.registry_version
    reg = _registry(version)
    expected = reg.communes_by_district.get(result.info.district_code, ())
    sheet = result.sheets["communes"]
    out: list[Issue] = []
    if not parsed.records:
        if len(expected):
            out.append(
                make_issue(
                    "communes_empty",
                    file=result.file,
                    sheet=sheet,
                    detail=len(expected),
                    version=version,
                )
            )
        return out
    listed = {rec["commune_code"] for rec in parsed.records}
    for expected_code, registry_name in expected:
        if expected_code not in listed:
            out.append(
                make_issue(
                    "commune_not_listed",
                    file=result.file,
                    sheet=sheet,
                    value=expected_code,
                    detail=registry_name,
                    version=version,
                )
            )
    for rec in parsed.records:
        row, code, name = rec["excel_row"], rec["commune_code"], rec["commune_name"]
        if not (isinstance(code, str) and isinstance(name, str)):
            continue
        found = reg.commune_by_code.get(code)
        if found and not rv.names_match(name, found[0]):
            out.append(
                make_issue(
                    "commune_name_mismatch",
                    file=result.file,
                    sheet=sheet,
                    row=int(str(row)),
                    column=parsed.headers["commune_name"],
                    value=name,
                    detail=found[0],
                    cell=parsed.cell_ref(int(str(row)), "commune_name"),
                    version=version,
                )
            )
    return out
