"""The pipeline's steps as plain functions, and the one sequence each run follows.

`nightly` and `backfill` below are the runs, step by step; the Prefect flows
call the same functions with each step run as a task (`Orchestration`), tests
and crash drills call them as they are. A run holds the writer lock from taking
the inbox to publishing, writes the warehouse in one transaction, and only then
lets files leave the inbox, so a run killed at any point leaves the warehouse as
before and every file either still in the inbox or recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

import duckdb
import pandas as pd

# The run checks rows: the sheet schemas (pandera) load with the pipeline rather than in
# the middle of its first batch (the readers' processes never load them).
import schemas.communes  # noqa: F401
import schemas.models  # noqa: F401
from ntm.settings import Settings
from transforms import progress
from transforms.atomic import replace_atomically
from transforms.intake.inbox import (
    LEFT_REASONS,
    Left,
    Received,
    archive,
    inbox_entries,
    scan_inbox,
)
from transforms.intake.lock import writer_lock
from transforms.publish.parquet import update_parquet
from transforms.publish.snapshot import publish_snapshot
from transforms.reports import WrittenReport, province_years, write_province_reports
from transforms.reports.feedback import feedback_sheets, issue_rows, write_feedback
from transforms.threads import start_in_thread
from transforms.validation.validate import (
    FileResult,
    ToRead,
    Validated,
    prepare_readers,
    reader_fingerprint,
    validate_batch,
)
from transforms.warehouse.connection import connect
from transforms.warehouse.duck import cursor_of, insert_frame, table_names, transaction
from transforms.warehouse.ledger import known_files, record_batch, reparse
from transforms.warehouse.ledger import withdraw as withdraw_submission
from transforms.warehouse.runner import build_models, built_from_other_reference, changes_since
from transforms.warehouse.scope import Scope, affected_scope, affected_years
from transforms.workbook.writer import write_workbook

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class RunStart:
    run_id: str
    flow: str
    started_at: dt.datetime

    @classmethod
    def now(cls, run_id: str, flow: str) -> RunStart:
        """Return a run starting now."""
        return cls(run_id, flow, dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class RunSummary:
    """What a run did, as recorded in ops.runs, and what it wrote beside the warehouse."""

    run_id: str
    flow: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    status: str = "running"
    submissions: pd.DataFrame = field(default_factory=pd.DataFrame)
    changed: frozenset[tuple[str, int]] = frozenset()
    years_recomputed: tuple[int, ...] = ()
    reports: tuple[WrittenReport, ...] = ()  # the province reports written
    reports_seconds: float = 0.0  # timed apart: the benchmark reports it on its own
    left_in_inbox: tuple[Left, ...] = ()  # files the run saw and did not take, and why

    def count(self, status: str) -> int:
        """Return how many files of the run ended with this status."""
        if self.submissions.empty:
            return 0
        return int((self.submissions["status"] == status).sum())

    def counts(self) -> dict[str, object]:
        """Return the run's figures as plain values (the flows' return value)."""
        return {
            "run_id": self.run_id,
            "files_seen": len(self.submissions),
            "accepted": self.count("accepted") + self.count("superseded"),
            "rejected": self.count("rejected"),
            "duplicates": self.count("duplicate"),
            "districts_changed": len(self.changed),
            "years_recomputed": list(self.years_recomputed),
            "reports": len(self.reports),
            "reports_written": [f"{r.province_code}/{r.year}" for r in self.reports],
            "reports_seconds": self.reports_seconds,
            "left_in_inbox": [
                {"file": f.name, "reason": f.reason, "why": LEFT_REASONS[f.reason]}
                for f in self.left_in_inbox
            ],
        }


class Step(Protocol):
    """Runs one step of a sequence: as a plain call, or as an orchestrator's task."""

    def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...


def call(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Return fn(*args, **kwargs): a step run as a plain function."""
    return fn(*args, **kwargs)


class Pending(Protocol[R_co]):
    """A step started beside the caller's next ones: its result, waited for."""

    def result(self) -> R_co: ...


class Start(Protocol):
    """Starts one step to run beside the caller's next ones (a thread, an orchestrator's task)."""

    def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Pending[R]: ...


# Reads and checks files (archive paths, names as received): here, or on other machines.
Reader = Callable[[Sequence[Path], Sequence[str]], "Validated"]


def read_here(paths: Sequence[Path], names: Sequence[str]) -> Validated:
    """Return the files validated on this machine (a process pool for large batches)."""
    return validate_batch(paths, names)


@dataclass(frozen=True)
class Orchestration:
    """How a sequence runs its steps; the defaults are plain calls on this machine."""

    step: Step = call
    start: Start = start_in_thread
    read: Reader = read_here
    # told what a run recorded, before it writes feedback and reports (Prefect artifacts)
    announce: Callable[[duckdb.DuckDBPyConnection, RunSummary], None] = lambda con, s: None


PLAIN = Orchestration()


@contextlib.contextmanager
def writing(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the writer lock and an open warehouse connection for one run."""
    with opening_for_writing(settings) as opening:
        yield opening.result()


@dataclass(frozen=True)
class Opening:
    """The warehouse a run is opening in a thread, and whether the run creates it."""

    pending: Pending[duckdb.DuckDBPyConnection]
    # no warehouse file when the run took the writer lock: nothing the run takes is
    # recorded in it, so the run need not wait for it before reading
    created: bool

    def result(self) -> duckdb.DuckDBPyConnection:
        """Return the open connection, once the warehouse is open."""
        return self.pending.result()


@contextlib.contextmanager
def opening_for_writing(settings: Settings) -> Iterator[Opening]:
    """Hold the writer lock for one run, and open the warehouse in a thread beside the
    caller's first steps; the caller takes the connection when it needs it.

    Opening a new warehouse loads the reference data of every registry version (about half
    a second); the inbox meanwhile is archived, which needs no warehouse.
    """
    settings.ensure()
    with writer_lock(settings.lock_file, settings.lock_timeout_seconds):
        created = not settings.warehouse.exists()
        opening = Opening(start_in_thread(connect, settings.warehouse), created)
        try:
            yield opening
        except BaseException:
            # the run's own failure is the one to tell: the warehouse is closed quietly
            with contextlib.suppress(BaseException):
                opening.result().close()
            raise
        opening.result().close()


@dataclass(frozen=True)
class Intake:
    """What a run took from the inbox (archived, not yet recorded) and what it left there."""

    received: list[Received]
    left: tuple[Left, ...] = ()


def take_inbox(settings: Settings) -> Intake:
    """Archive the inbox files ready to take; say which files stay in the inbox and why."""
    remove_leftovers(settings)
    looked = scan_inbox(settings.inbox, settings.settle_seconds)
    return Intake(archive(looked.ready, settings.archive), tuple(looked.left))


def drop_recorded(con: duckdb.DuckDBPyConnection, intake: Intake) -> Intake:
    """Return the intake without the files a crashed run already recorded (it died before
    clearing the inbox: their bytes are archived), which leave the inbox now."""
    received = intake.received
    known = known_files(con)
    recorded = set(
        zip(
            known["sha256"],
            known["file_name"],
            pd.to_datetime(known["received_at"], utc=True),
            strict=True,
        )
    )
    fresh = []
    for r in received:
        if (r.sha256, r.name, pd.Timestamp(r.received_at)) in recorded:
            r.incoming.path.unlink(missing_ok=True)
        else:
            fresh.append(r)
    return dataclasses.replace(intake, received=fresh)


def remove_leftovers(settings: Settings) -> list[Path]:
    """Delete the temporary copies killed runs left behind; return their paths.

    Every file is written aside as `.<name>.<pid>.tmp...` and renamed into place; the
    caller holds the writer lock, so no such file still belongs to a live run.
    """
    found = [
        *settings.archive.glob("*/.*.tmp*"),
        *settings.published.parent.glob(".*.tmp*"),
        *settings.parquet.glob(".*.tmp*"),
        *settings.parquet.glob("*/.*.tmp*"),
    ]
    for path in found:
        path.unlink(missing_ok=True)
    return found


def reading_batches(
    settings: Settings, paths: Sequence[Path], names: Sequence[str], count: int
) -> list[list[ToRead]]:
    """Return the files in at most `count` batches, in order, ready for readers elsewhere.

    A file travels by content, unless the settings name the shared folder where the
    readers see the archive and the file is in the archive.
    """
    items = [_to_read(settings, path, name) for path, name in zip(paths, names, strict=True)]
    size = max(1, -(-len(items) // max(1, count)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _to_read(settings: Settings, path: Path, name: str) -> ToRead:
    shared = settings.shared_path
    reader = reader_fingerprint()
    if shared is not None and path.is_relative_to(settings.archive):
        relative = path.relative_to(settings.archive)
        return ToRead(path, name, shared=shared / relative, reader=reader)
    return ToRead(path, name, data=path.read_bytes(), reader=reader)


def commit_batch(
    con: duckdb.DuckDBPyConnection,
    received: Sequence[Received],
    validated: Validated,
    run: RunStart,
) -> RunSummary:
    """Record the batch, rebuild the marts and log the run, all in one transaction; return
    the run's summary."""
    with transaction(con):
        outcome = record_batch(con, received, validated, run.run_id)
        recompute(con, outcome.changed)
        summary = _completed(run, outcome.submissions, outcome.changed)
        record_run(con, summary)
    return summary


def _completed(
    run: RunStart, submissions: pd.DataFrame, changed: set[tuple[str, int]]
) -> RunSummary:
    return RunSummary(
        run_id=run.run_id,
        flow=run.flow,
        started_at=run.started_at,
        finished_at=dt.datetime.now(dt.UTC),
        status="completed",
        submissions=submissions,
        changed=frozenset(changed),
    )


def recompute(con: duckdb.DuckDBPyConnection, changed: set[tuple[str, int]]) -> None:
    """Bring the marts up to date with raw after these (district, year) changed.

    The first time every model is built, and again when the reference data (registry,
    rulesets) differ from those of the last build; otherwise only the years and
    provinces a change can reach are recomputed (see scope.affected_scope).
    """
    if not _marts_exist(con) or built_from_other_reference(con):
        build_models(con)
    elif changed:
        build_models(con, changed_scope(con, changed))


def changed_scope(con: duckdb.DuckDBPyConnection, changed: set[tuple[str, int]]) -> Scope:
    """Return the scope of the marts these (district, year) changes reach."""
    _, last, baseline = _program_years(con)
    return affected_scope(changed, _province_of(con), baseline, last)


def _program_years(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Return the first and last year the rulesets cover, and the baseline year."""
    first, last, baseline = con.execute(
        "select min(first_year), max(last_year), min(baseline_year) from ref.rulesets"
    ).fetchall()[0]
    return int(first), int(last), int(baseline)


def _province_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Return the province of every district of any registry version (the latest's)."""
    rows = con.execute(
        "select district_code, arg_max(province_code, registry_version)"
        " from ref.districts_by_version group by district_code"
    ).fetchall()
    return dict(rows)


def _marts_exist(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(table_names(con, "marts"))


def record_run(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """Insert the run's row into ops.runs."""
    insert_frame(
        con,
        "ops.runs",
        pd.DataFrame(
            [
                {
                    "run_id": summary.run_id,
                    "flow": summary.flow,
                    "started_at": summary.started_at,
                    "finished_at": summary.finished_at,
                    "status": summary.status,
                    "files_seen": len(summary.submissions),
                    "files_accepted": summary.count("accepted") + summary.count("superseded"),
                    "files_rejected": summary.count("rejected"),
                }
            ]
        ),
    )


def clear_inbox(received: Sequence[Received]) -> None:
    """Remove recorded files from the inbox (their bytes are in the archive)."""
    for r in received:
        r.incoming.path.unlink(missing_ok=True)


@contextlib.contextmanager
def publishing_beside(
    con: duckdb.DuckDBPyConnection, settings: Settings, how: Orchestration
) -> Iterator[None]:
    """Publish (snapshot and Parquet) while the block goes on with the feedback and reports,
    and wait for it at the end of the block; a failure of either is raised.

    DuckDB copies without holding the GIL and the reports are mostly Python, so on two
    cores the block costs little beside the publishing. The publishing step gets a
    connection of its own: one connection is never used by two threads at once.
    """
    cursor = cursor_of(con)
    progress.report("publishing", 0, 1)
    pending = how.start(publish, cursor, settings)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        try:
            if failed:  # the block's failure is the one to tell: the publishing's is not
                with contextlib.suppress(BaseException):
                    pending.result()
            else:
                pending.result()
        finally:
            if _done(pending):  # never closed under a step still using it (a second Ctrl-C)
                cursor.close()
    progress.report("publishing", 1, 1)


def _done(pending: Pending[object]) -> bool:
    """Return whether a step started beside is over (a plain value counts as over)."""
    done = getattr(pending, "done", None)
    return bool(done()) if callable(done) else True


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Publish the read-only snapshot for BI tools and the Parquet copies of the marts;
    return False when the snapshot was already current."""
    plan = snapshot_plan(con, settings)
    if plan != "current":
        publish_snapshot(con, settings.published, plan if isinstance(plan, Scope) else None)
    # the Parquet folder keeps its own record of the build it reflects
    update_parquet(con, settings.parquet)
    return plan != "current"


_LEDGER_STATE = "select count(*), max(submission_id), max(status_changed_at) from ops.submissions"


def snapshot_plan(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | Scope:
    """Return how to bring the snapshot up to date: "current", "full", or the scope to replace.

    ops.marts_builds records every rebuild of the models (which years and
    provinces, or all); the snapshot carries its own copy, so the builds it has
    not seen say exactly what changed since, even when the run that made them
    died before publishing. A run that brought nothing leaves a current snapshot
    alone (republishing the same marts costs seconds at national size); its
    ops.runs row reaches the snapshot with the next publish.
    """
    if not settings.published.exists():
        return "full"
    try:
        with duckdb.connect(str(settings.published), read_only=True) as snap:
            ledger = snap.execute(_LEDGER_STATE).fetchall()
            seen = snap.execute("select max(build_id) from ops.marts_builds").fetchall()[0][0]
    except duckdb.Error:
        return "full"  # unreadable, or from before the build log: start again
    if seen is None:
        return "full"
    scope = changes_since(con, seen)
    if scope is None:
        return "full"
    if scope:
        return scope
    return "current" if ledger == con.execute(_LEDGER_STATE).fetchall() else scope


def archived_submissions(
    con: duckdb.DuckDBPyConnection,
    from_year: int,
    to_year: int,
    districts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the files a reparse reads again: every non-duplicate, non-withdrawn one in range.

    Rejected files whose year could not be read are included unless districts are named,
    since a reader fix may make them readable.
    """
    return con.execute(
        """
        select submission_id, file_name, archive_path from ops.submissions
        where status in ('accepted', 'superseded', 'rejected')
          and (year between ? and ? or (year is null and ? is null))
          and (? is null or list_contains(?, district_code))
        order by submission_id
        """,
        [from_year, to_year, districts, districts, list(districts or [])],
    ).df()


def archived_files(files: pd.DataFrame) -> tuple[list[Path], list[str]]:
    """Return the archive paths and original names of archived submissions."""
    return [Path(p) for p in files["archive_path"]], [str(n) for n in files["file_name"]]


def replace_reparsed(
    con: duckdb.DuckDBPyConnection,
    files: pd.DataFrame,
    validated: Validated,
    run_id: str | None = None,
) -> set[tuple[str, int]]:
    """Replace what was loaded from archived files by their new results, in one transaction
    (the earlier verdicts stay in ops.submission_verdicts); return the (district, year)
    keys touched."""
    with transaction(con):
        return reparse(con, [int(i) for i in files["submission_id"]], validated, run_id)


def report_pairs(
    con: duckdb.DuckDBPyConnection, changed: set[tuple[str, int]]
) -> list[tuple[str, int]]:
    """Return the (province, year) reports a change touches: its years (Y, Y+1; all after the
    baseline) for the provinces of the districts that changed."""
    if not changed:
        return []
    first, last, baseline = _program_years(con)
    province_of = _province_of(con)
    pairs = {
        (province_of[district], y)
        for district, year in changed
        for y in affected_years({(district, year)}, baseline, last)
        if y >= first and district in province_of
    }
    return sorted(pairs)


def write_reports_for(
    con: duckdb.DuckDBPyConnection, settings: Settings, pairs: Sequence[tuple[str, int]]
) -> list[WrittenReport]:
    """Return the province reports (Excel and HTML) written for these province-years: those
    with a submission in force."""
    return write_province_reports(con, settings.reports, pairs)


def write_feedback_for(
    settings: Settings,
    received: Sequence[Received],
    results: Sequence[FileResult],
    submissions: pd.DataFrame,
) -> list[Path]:
    """Write a feedback workbook for every recorded file with issues, named by submission."""
    written = []
    for rec, res, sid, status in zip(
        received, results, submissions["submission_id"], submissions["status"], strict=True
    ):
        if status == "duplicate" or not res.issues:
            continue
        out = settings.feedback / f"{int(sid)}-{Path(rec.name).stem}.feedback.xlsx"
        if res.reader_failed or not res.readable:
            # the reader could not open it (refused, failed, crashed or ran out of memory
            # or time in its worker): this process never opens it again, nothing to copy
            written.append(write_feedback_without_copy(res, out, rec.name))
            continue
        try:
            written.append(write_feedback(res, rec.archive_path, out, file_name=rec.name))
        except Exception:
            # copying the original failed (a value the workbook writer refuses, such
            # as NaN): the district still gets its list of issues, the run goes on
            written.append(write_feedback_without_copy(res, out, rec.name))
    return written


def write_feedback_without_copy(result: FileResult, out: Path, file_name: str) -> Path:
    """Write the feedback workbook of a file with its issues only (no copy of the original)."""
    sheets = feedback_sheets(issue_rows(result), [], file_name)
    with replace_atomically(out) as tmp:
        write_workbook(tmp, sheets, author="ntm")
    return out


def withdraw(
    con: duckdb.DuckDBPyConnection, submission_id: int, note: str
) -> tuple[str, int | None]:
    """Withdraw a submission and recompute what it reached, in one transaction; return its
    old status and the submission now in force for its district and year."""
    with transaction(con):
        old, in_force = withdraw_submission(con, submission_id, note)
        district, year = con.execute(
            "select district_code, year from ops.submissions where submission_id = ?",
            [submission_id],
        ).fetchall()[0]
        recompute(con, {(str(district), int(year))})
    return old, in_force


def rebuild(
    con: duckdb.DuckDBPyConnection, run: RunStart, changed: set[tuple[str, int]]
) -> RunSummary:
    """Recompute every mart from raw and log the run, in one transaction; return its summary."""
    with transaction(con):
        build_models(con)
        summary = _completed(run, pd.DataFrame(), changed)
        record_run(con, summary)
    return summary


def nightly(settings: Settings, run: RunStart, how: Orchestration = PLAIN) -> RunSummary:
    """Process the inbox end to end: take, validate, record and recompute, publish, write
    feedback and reports; return what the run did."""
    step = how.step
    # the readers' forkserver starts while the warehouse opens and the inbox is taken
    if settings.reads_here:
        prepare_readers(inbox_entries(settings.inbox))
    with opening_for_writing(settings) as opening:
        with progress.stage("inbox"):
            taken = step(take_inbox, settings)  # while the warehouse opens
            # a warehouse this run creates has recorded none of the files: its opening
            # (half a second of reference data) goes on beside the reading
            intake = taken if opening.created else step(drop_recorded, opening.result(), taken)
        received = intake.received
        with progress.stage("reading", len(received)):
            validated = how.read([r.archive_path for r in received], [r.name for r in received])
        con = opening.result()
        with progress.stage("recording"):
            summary = step(commit_batch, con, received, validated, run)
            summary = dataclasses.replace(summary, left_in_inbox=intake.left)
            step(clear_inbox, received)
        # the batch's typed rows are in the warehouse now: let them go before publishing
        # and the reports (at national size they are over 100 MB); the feedback needs the
        # results only
        results = validated.results
        del validated
        with publishing_beside(con, settings, how):
            how.announce(con, summary)
            with progress.stage("feedback"):
                step(write_feedback_for, settings, received, results, summary.submissions)
            pairs = report_pairs(con, set(summary.changed))
            started = time.perf_counter()
            reports = step(write_reports_for, con, settings, pairs)
            reports_seconds = time.perf_counter() - started
    return dataclasses.replace(
        summary,
        years_recomputed=tuple(sorted({year for _, year in pairs})),
        reports=tuple(reports),
        reports_seconds=reports_seconds,
    )


def backfill(
    settings: Settings,
    run: RunStart,
    years: range,
    districts: Sequence[str] | None = None,
    reparse: bool = False,
    how: Orchestration = PLAIN,
) -> RunSummary:
    """Recompute the marts from raw (with reparse, read the archived files of these years
    again first), publish and write the years' reports; return what the run did.

    The marts are rebuilt whole (well under a second in DuckDB at national size), so
    they always agree with raw; `districts` narrows which files are re-read.
    """
    step = how.step
    with writing(settings) as con:
        changed: set[tuple[str, int]] = set()
        if reparse:
            files = archived_submissions(con, years.start, years.stop - 1, districts)
            with progress.stage("reading", len(files)):
                validated = how.read(*archived_files(files))
            with progress.stage("recording"):
                changed = step(replace_reparsed, con, files, validated, run.run_id)
            del validated  # recorded: its rows are not held while rebuilding (see nightly)
        with progress.stage("recomputing"):
            summary = step(rebuild, con, run, changed)
        with publishing_beside(con, settings, how):
            how.announce(con, summary)
            pairs = province_years(con, list(years))
            started = time.perf_counter()
            reports = step(write_reports_for, con, settings, pairs)
            reports_seconds = time.perf_counter() - started
    return dataclasses.replace(
        summary,
        years_recomputed=tuple(years),
        reports=tuple(reports),
        reports_seconds=reports_seconds,
    )


def run_once(settings: Settings, run_id: str, flow: str = "nightly") -> RunSummary:
    """Process the inbox end to end without an orchestrator (tests, crash drills)."""
    return nightly(settings, RunStart.now(run_id, flow))
