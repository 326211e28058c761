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
from ntm.schemas.communes import CommuneRowsClean
from ntm.schemas.models import ModelRowsClean
from ntm.transforms.duck import insert_frame
from ntm.transforms.inbox import Received
from ntm.transforms.validate import FileResult

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
]


@dataclass
class BatchOutcome:
    submissions: pd.DataFrame  # one row per file, SUBMISSION_COLUMNS
    changed: set[tuple[str, int]] = field(default_factory=set)  # (district_code, year) in force

    def count(self, status: str) -> int:
        """Return how many files of the batch ended with this status."""
        return int((self.submissions["status"] == status).sum())


def known_files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return (sha256, file_name, received_at) of every file the ledger holds."""
    return con.execute("select sha256, file_name, received_at from ops.submissions").df()


def record_batch(
    con: duckdb.DuckDBPyConnection,
    received: Sequence[Received],
    results: Sequence[FileResult],
    run_id: str,
) -> BatchOutcome:
    """Record every file of a batch (inside the caller's transaction); return what changed."""
    seen = set(known_files(con)["sha256"])
    ids = iter(_next_ids(con, len(received)))
    rows: list[dict[str, object]] = []
    accepted: dict[tuple[str, int], int] = {}  # key -> index in rows of the last accepted
    issues, communes, models = [], [], []
    for rec, res in zip(received, results, strict=True):
        sid = next(ids)
        duplicate = rec.sha256 in seen
        seen.add(rec.sha256)
        info = res.info
        status = "duplicate" if duplicate else ("accepted" if res.accepted else "rejected")
        rows.append(
            {
                "submission_id": sid,
                "file_name": rec.name,
                "sha256": rec.sha256,
                "received_at": rec.received_at,
                "run_id": run_id,
                "province_code": info.province_code if info else None,
                "district_code": info.district_code if info else None,
                "year": info.year if info else None,
                "status": status,
                "error_count": 0 if duplicate else len(res.errors),
                "warning_count": 0 if duplicate else len(res.warnings),
                "archive_path": str(rec.archive_path),
            }
        )
        if duplicate:
            continue
        if res.issues:
            frame = pd.DataFrame([x.as_dict() for x in res.issues]).drop(columns=["file"])
            issues.append(frame.rename(columns={"column": "column_name"}).assign(submission_id=sid))
        if status == "accepted" and info is not None:
            key = (info.district_code, info.year)
            if key in accepted:
                rows[accepted[key]]["status"] = "superseded"
            accepted[key] = len(rows) - 1
            communes.append(_raw_rows(res.communes, CommuneRowsClean, sid))
            models.append(_raw_rows(res.models, ModelRowsClean, sid))

    submissions = pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)
    submissions["year"] = submissions["year"].astype("Int64")
    if accepted:
        keys = pd.DataFrame(list(accepted), columns=["district_code", "year"])
        con.register("_keys", keys)
        con.execute(
            """
            update ops.submissions set status = 'superseded', status_changed_at = ?
            where status = 'accepted'
              and (district_code, year) in (select (district_code, year) from _keys)
            """,
            [dt.datetime.now(dt.UTC)],
        ).fetchall()  # DuckDB 2 wants every result consumed before the next register
        con.unregister("_keys")
    insert_frame(con, "ops.submissions", submissions)
    for table, frames in (
        ("ops.validation_issues", issues),
        ("raw.communes", communes),
        ("raw.models", models),
    ):
        if frames:
            insert_frame(con, table, pd.concat(frames, ignore_index=True))
    return BatchOutcome(submissions, set(accepted))


def _next_ids(con: duckdb.DuckDBPyConnection, n: int) -> list[int]:
    if n == 0:
        return []
    rows = con.execute("select nextval('ops.submission_ids') from range(?)", [n]).fetchall()
    return [int(r[0]) for r in rows]


def _raw_rows(frame: pd.DataFrame | None, schema: object, submission_id: int) -> pd.DataFrame:
    """Return an accepted file's rows checked against the clean schema, ready for raw.*."""
    assert frame is not None
    checked = schema.validate(frame)  # type: ignore[attr-defined]
    return checked.rename(columns={"excel_row": "row_number"}).assign(submission_id=submission_id)


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
    now = dt.datetime.now(dt.UTC)
    con.execute(
        "update ops.submissions set status = 'withdrawn', status_changed_at = ?, status_note = ?"
        " where submission_id = ?",
        [now, note, submission_id],
    ).fetchall()
    if status != "accepted":
        return status, _in_force(con, district, year)
    previous = con.execute(
        """
        select submission_id from ops.submissions
        where district_code = ? and year = ? and status = 'superseded'
        order by submission_id desc limit 1
        """,
        [district, year],
    ).fetchall()
    if previous:
        con.execute(
            "update ops.submissions set status = 'accepted', status_changed_at = ?"
            " where submission_id = ?",
            [now, previous[0][0]],
        ).fetchall()
    return status, _in_force(con, district, year)


def _in_force(con: duckdb.DuckDBPyConnection, district: str, year: int) -> int | None:
    row = con.execute(
        "select submission_id from ops.submissions"
        " where district_code = ? and year = ? and status = 'accepted'",
        [district, year],
    ).fetchall()
    return int(row[0][0]) if row else None
