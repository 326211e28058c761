"""Recording a batch of received files in the warehouse: ledger, issues, raw rows.

Everything a batch writes goes through one transaction that the caller opens
(`transaction`), so a failure anywhere leaves the warehouse as it was.
Frames are bulk-inserted by registering them with DuckDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pandera.pandas as pa

from schemas.communes import CommuneRowsClean
from schemas.models import ModelRowsClean
from transforms.intake.inbox import Received
from transforms.validation.validate import CONTEXT_DTYPES, FileResult, Validated
from transforms.warehouse.duck import insert_frame
from transforms.warehouse.runner import settle_in_force

SUBMISSION_COLUMNS = [
    "submission_id",
    "file_name",
    "sha256",
    "received_at",
    "run_id",
    "province_code",
    "district_code",
    "year",
    "status",
    "error_count",
    "warning_count",
    "archive_path",
    "registry_version",
]


@dataclass
class BatchOutcome:
    submissions: pd.DataFrame  # one row per file, SUBMISSION_COLUMNS
    # (district_code, year) of every recorded file whose district and year could be read
    changed: set[tuple[str, int]] = field(default_factory=set)

    def count(self, status: str) -> int:
        """Return how many files of the batch ended with this status."""
        return int((self.submissions["status"] == status).sum())


def known_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return (sha256, file_name, received_at) of every file the ledger holds."""
    return con.execute("select sha256, file_name, received_at from ops.submissions").df()


def record_batch(
    con: duckdb.DuckDBPyConnection,
    received: Sequence[Received],
    validated: Validated,
    run_id: str,
) -> BatchOutcome:
    """Record every file of a batch (inside the caller's transaction); return what changed."""
    seen = set(known_files(con)["sha256"])
    ids = iter(_next_ids(con, len(received)))
    rows: list[dict[str, object]] = []
    loaded: dict[int, int] = {}  # file_index -> submission_id, duplicates left out
    changed: set[tuple[str, int]] = set()
    for index, (rec, res) in enumerate(zip(received, validated.results, strict=True)):
        sid = next(ids)
        duplicate = rec.sha256 in seen
        seen.add(rec.sha256)
        row = {
            "submission_id": sid,
            "file_name": rec.name,
            "sha256": rec.sha256,
            "received_at": rec.received_at,
            "run_id": run_id,
            "archive_path": str(rec.archive_path),
        }
        if duplicate:
            row.update(status="duplicate", error_count=0, warning_count=0)
        else:
            row.update(_verdict(res))
            loaded[index] = sid
            if res.info is not None:
                # a rejected file changes its district's submission status too
                changed.add((res.info.district_code, res.info.year))
        rows.append(row)
    submissions = pd.DataFrame(rows).reindex(columns=SUBMISSION_COLUMNS)
    submissions["year"] = submissions["year"].astype("Int64")
    insert_frame(con, "ops.submissions", submissions)
    _record_verdicts(con, validated, loaded, run_id)
    _insert_contents(con, validated, loaded)
    settle_in_force(con)
    # report the statuses as settled: a file superseded within its own batch says so
    final = con.execute(
        "select submission_id, status from ops.submissions where run_id = ?", [run_id]
    ).df()
    submissions["status"] = submissions["submission_id"].map(
        dict(zip(final["submission_id"], final["status"], strict=True))
    )
    return BatchOutcome(submissions, changed)


def _verdict(res: FileResult) -> dict[str, object]:
    """Return the ledger fields a validation result decides."""
    info = res.info
    return {
        "province_code": info.province_code if info else None,
        "district_code": info.district_code if info else None,
        "year": info.year if info else None,
        # an accepted file starts as in force; settle_in_force keeps only the latest
        "status": "accepted" if res.accepted else "rejected",
        "error_count": len(res.errors),
        "warning_count": len(res.warnings),
        "registry_version": res.registry_version,
    }


def _record_verdicts(
    con: duckdb.DuckDBPyConnection,
    validated: Validated,
    loaded: dict[int, int],
    run_id: str | None,
) -> None:
    """Add one ops.submission_verdicts row per checked file (file_index -> submission_id):
    the history a reparse adds to rather than overwrites."""
    if not loaded:
        return
    now = dt.datetime.now(dt.UTC)
    rows = []
    for index, sid in loaded.items():
        res = validated.results[index]
        verdict = _verdict(res)
        rows.append(
            {
                "submission_id": sid,
                "checked_at": now,
                "run_id": run_id,
                "verdict": verdict["status"],
                "registry_version": verdict["registry_version"],
                "error_count": verdict["error_count"],
                "warning_count": verdict["warning_count"],
                "error_rules": sorted({i.rule for i in res.errors}),
            }
        )
    frame = pd.DataFrame(rows)
    ids = con.execute("select nextval('ops.verdict_ids') from range(?)", [len(rows)]).fetchall()
    frame.insert(0, "verdict_id", [int(r[0]) for r in ids])
    insert_frame(con, "ops.submission_verdicts", frame)


def _insert_contents(
    con: duckdb.DuckDBPyConnection, validated: Validated, loaded: dict[int, int]
) -> None:
    """Insert the issues of the loaded files (file_index -> submission_id) and the raw rows
    of the accepted ones."""
    issues = []
    accepted: dict[int, int] = {}
    for index, sid in loaded.items():
        res = validated.results[index]
        if res.issues:
            frame = pd.DataFrame([x.as_dict() for x in res.issues]).drop(columns=["file"])
            issues.append(frame.rename(columns={"column": "column_name"}).assign(submission_id=sid))
        if res.accepted:
            accepted[index] = sid
    if issues:
        insert_frame(con, "ops.validation_issues", pd.concat(issues, ignore_index=True))
    if accepted:
        for table, frame, schema in (
            ("raw.communes", validated.rows.communes, CommuneRowsClean),
            ("raw.models", validated.rows.models, ModelRowsClean),
        ):
            insert_frame(con, table, _raw_rows(frame, accepted, schema))


def reparse(
    con: duckdb.DuckDBPyConnection,
    submission_ids: Sequence[int],
    validated: Validated,
    run_id: str | None = None,
) -> set[tuple[str, int]]:
    """Replace what earlier runs read from these archived files with a fresh reading.

    Inside the caller's transaction. Withdrawn and duplicate files are never
    passed in; a file may change between rejected and accepted. ops.submissions and
    ops.validation_issues then hold the new verdict; ops.submission_verdicts keeps
    every verdict, the earlier ones included. Returns the (district, year) keys whose
    data may have changed.
    """
    if not submission_ids:
        return set()
    ids = pd.DataFrame({"submission_id": list(submission_ids)})
    con.register("_reparsed", ids)
    try:
        before = con.execute(
            "select distinct district_code, year from ops.submissions"
            " where submission_id in (select submission_id from _reparsed)"
            " and district_code is not null"
        ).fetchall()
        for table in ("ops.validation_issues", "raw.communes", "raw.models"):
            con.execute(
                f"delete from {table}"  # noqa: S608 (constant table names)
                " where submission_id in (select submission_id from _reparsed)"
            ).fetchall()
    finally:
        con.unregister("_reparsed")
    verdicts = pd.DataFrame(
        [
            {"submission_id": sid, **_verdict(res)}
            for sid, res in zip(submission_ids, validated.results, strict=True)
        ]
    )
    verdicts["year"] = verdicts["year"].astype("Int64")
    con.register("_verdicts", verdicts)
    try:
        con.execute(
            """
            update ops.submissions as s
            set province_code = v.province_code, district_code = v.district_code,
                year = v.year, status = v.status, error_count = v.error_count,
                warning_count = v.warning_count, registry_version = v.registry_version
            from _verdicts as v
            where s.submission_id = v.submission_id
            """
        ).fetchall()
    finally:
        con.unregister("_verdicts")
    _record_verdicts(con, validated, dict(enumerate(submission_ids)), run_id)
    _insert_contents(con, validated, dict(enumerate(submission_ids)))
    settle_in_force(con)
    after = {(r.info.district_code, r.info.year) for r in validated.results if r.info is not None}
    return {(str(d), int(y)) for d, y in before} | after


def _next_ids(con: duckdb.DuckDBPyConnection, n: int) -> list[int]:
    if n == 0:
        return []
    rows = con.execute("select nextval('ops.submission_ids') from range(?)", [n]).fetchall()
    return [int(r[0]) for r in rows]


def _raw_rows(
    frame: pd.DataFrame, submission_ids: dict[int, int], schema: pa.DataFrameSchema
) -> pd.DataFrame:
    """Return the accepted files' rows of a batch, checked by the clean schema, for raw.*."""
    rows = frame[frame["file_index"].isin(list(submission_ids))]
    ids = rows["file_index"].map(submission_ids).to_numpy()
    checked = schema.validate(rows.drop(columns=list(CONTEXT_DTYPES)).reset_index(drop=True))
    return checked.rename(columns={"excel_row": "row_number"}).assign(submission_id=ids)


def withdraw(
    con: duckdb.DuckDBPyConnection, submission_id: int, note: str
) -> tuple[str, int | None]:
    """Withdraw an accepted or superseded submission; return (old status, id now in force).

    When the withdrawn file was in force, the latest earlier accepted file of the
    same district and year is in force again. The ledger keeps every row.
    """
    row = con.execute(
        "select status, district_code, year from ops.submissions where submission_id = ?",
        [submission_id],
    ).fetchall()
    if not row:
        raise LookupError(f"no submission {submission_id}")
    status, district, year = row[0]
    if status not in ("accepted", "superseded"):
        raise ValueError(
            f"submission {submission_id} is {status}; only accepted files are withdrawn"
        )
    con.execute(
        "update ops.submissions set status = 'withdrawn', status_changed_at = ?, status_note = ?"
        " where submission_id = ?",
        [dt.datetime.now(dt.UTC), note, submission_id],
    ).fetchall()
    settle_in_force(con)
    return status, _in_force(con, district, year)


def _in_force(con: duckdb.DuckDBPyConnection, district: str, year: int) -> int | None:
    row = con.execute(
        "select submission_id from ops.submissions"
        " where district_code = ? and year = ? and status = 'accepted'",
        [district, year],
    ).fetchall()
    return int(row[0][0]) if row else None
