"""Prefect flows: nightly inbox processing, backfill, and the dry-run validation of the inbox.

Thin wiring only: every step is a function of transforms.pipeline. With the
Dask task runner (settings.task_runner), reading files fans out over Dask
workers in batches; checking the batch and writing the warehouse stay here.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from flows.artifacts import publish_run_artifacts
from ntm.settings import Settings
from transforms import pipeline
from transforms.intake.inbox import Received, scan
from transforms.reports import province_years
from transforms.validation import validate
from transforms.validation.validate import FileResult, ReadFile, ToRead, validate_files

T = TypeVar("T")

# Connections and frames are not inputs worth hashing: no task result caching.
# Steps that touch files retry: a network share or a busy disk fails transiently.


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def take_inbox(settings: Settings, con: duckdb.DuckDBPyConnection) -> list[Received]:
    """Return the inbox files archived and ready to record."""
    return pipeline.take_inbox(settings, con)


@task(cache_policy=NO_CACHE)
def validate_received(received: list[Received]) -> list[FileResult]:
    """Return the validation result of every received file."""
    return pipeline.validate_received(received)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def read_batch(items: list[ToRead]) -> list[ReadFile]:
    """Return the read results of a batch of files (on a Dask worker): plain records."""
    return [validate.read_to_read(item) for item in items]


@task(cache_policy=NO_CACHE)
def check_read(read: list[ReadFile]) -> list[FileResult]:
    """Return the validation results of files read on workers: batch checks and coverage."""
    return validate.check_read(read)


@task(cache_policy=NO_CACHE)
def replace_reparsed(
    con: duckdb.DuckDBPyConnection, files: Any, results: list[FileResult]
) -> set[tuple[str, int]]:
    """Return the (district, year) keys touched by loading the new readings of archived files."""
    return pipeline.replace_reparsed(con, files, results)


@task(cache_policy=NO_CACHE)
def commit_batch(
    con: duckdb.DuckDBPyConnection,
    received: list[Received],
    results: list[FileResult],
    summary: pipeline.RunSummary,
) -> None:
    """Record the batch and rebuild the marts; the summary is filled in place."""
    pipeline.commit_batch(con, received, results, summary)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def clear_inbox(received: list[Received]) -> int:
    """Return how many recorded files left the inbox."""
    pipeline.clear_inbox(received)
    return len(received)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Return the snapshot's path, republished unless it was already current."""
    pipeline.publish(con, settings)
    return str(settings.published)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def write_feedback(
    settings: Settings,
    received: list[Received],
    results: list[FileResult],
    summary: pipeline.RunSummary,
) -> int:
    """Return how many feedback workbooks were written for files with issues."""
    return len(pipeline.write_feedback_for(settings, received, results, summary.submissions))


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def write_reports(
    con: duckdb.DuckDBPyConnection, settings: Settings, pairs: list[tuple[str, int]]
) -> float:
    """Return the seconds spent writing the province reports of these province-years."""
    started = time.perf_counter()
    pipeline.write_reports_for(con, settings, pairs)
    return time.perf_counter() - started


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def reparse_archive(con: duckdb.DuckDBPyConnection, files: Any) -> set[tuple[str, int]]:
    """Return the (district, year) keys touched by reading the archived files again."""
    return pipeline.reparse_archive(con, files)


@task(cache_policy=NO_CACHE)
def rebuild_marts(con: duckdb.DuckDBPyConnection, summary: pipeline.RunSummary) -> None:
    """Recompute the marts from raw and log the run."""
    pipeline.rebuild(con, summary)


def opaque(value: T) -> T:
    """Return value wrapped so Prefect passes it to a task without walking its contents.

    Results of hundreds of files (with their frames) and live connections are
    costly to introspect and hold no upstream futures.
    """
    return cast(T, quote(value))


def _run_id() -> str:
    return str(flow_run.get_id() or uuid.uuid4())


def _summary(flow_name: str) -> pipeline.RunSummary:
    return pipeline.RunSummary(run_id=_run_id(), flow=flow_name, started_at=dt.datetime.now(dt.UTC))


@flow(name="nightly")
def nightly(home: str | None = None) -> dict[str, Any]:
    """Process the inbox: archive, validate, load, recompute, publish; return the run's counts."""
    settings = Settings.from_env(home)
    summary = _summary("nightly")
    with pipeline.writing(settings) as con:
        db = opaque(con)
        received = take_inbox(settings, db)
        if settings.task_runner == "dask":
            paths, names = [r.archive_path for r in received], [r.name for r in received]
            results = check_read(opaque(_read_on_dask(settings, paths, names)))
        else:
            results = validate_received(opaque(received))
        commit_batch(db, opaque(received), opaque(results), opaque(summary))
        clear_inbox(opaque(received))
        publish(db, settings)
        publish_run_artifacts(con, summary)
        write_feedback(settings, opaque(received), opaque(results), opaque(summary))
        pairs = pipeline.report_pairs(con, summary.changed)
        summary.years_recomputed = sorted({year for _, year in pairs})
        reports_seconds = write_reports(db, settings, pairs)
    return {**_counts(summary), "reports": len(pairs), "reports_seconds": reports_seconds}


@flow(name="backfill")
def backfill(
    from_year: int,
    to_year: int,
    districts: list[str] | None = None,
    reparse: bool = False,
    home: str | None = None,
) -> dict[str, Any]:
    """Recompute the marts for a range of years; with reparse, read the archived files again.

    The marts are rebuilt whole (well under a second in DuckDB at national size),
    so they always agree with raw; `districts` narrows which files are re-read.
    """
    settings = Settings.from_env(home)
    summary = _summary("backfill")
    with pipeline.writing(settings) as con:
        db = opaque(con)
        if reparse:
            files = pipeline.archived_submissions(con, from_year, to_year, districts)
            if settings.task_runner == "dask":
                read = _read_on_dask(settings, *pipeline.archived_files(files))
                results = check_read(opaque(read))
                summary.changed = replace_reparsed(db, opaque(files), opaque(results))
            else:
                summary.changed = reparse_archive(db, opaque(files))
        rebuild_marts(db, opaque(summary))
        publish(db, settings)
        publish_run_artifacts(con, summary)
        summary.years_recomputed = list(range(from_year, to_year + 1))
        pairs = province_years(con, summary.years_recomputed)
        reports_seconds = write_reports(db, settings, pairs)
    return {**_counts(summary), "reports": len(pairs), "reports_seconds": reports_seconds}


@flow(name="validate-inbox")
def validate_inbox(home: str | None = None) -> list[dict[str, Any]]:
    """Validate the inbox without writing anything; return one line per file."""
    settings = Settings.from_env(home)
    files = scan(settings.inbox, settings.settle_seconds)
    results = validate_files([f.path for f in files], [f.name for f in files])
    return [{"file": r.file, "errors": len(r.errors), "warnings": len(r.warnings)} for r in results]


def _read_on_dask(settings: Settings, paths: list[Path], names: list[str]) -> list[ReadFile]:
    """Return every file's read result, in order, read in batches on Dask workers."""
    from flows import dask_runner

    if not paths:
        return []
    with dask_runner.started(settings) as (runner, count):
        batches = pipeline.reading_batches(settings, paths, names, count)
        # not opaque(): Dask rebuilds Prefect's annotation wrappers wrongly on the way
        # (quote(x) arrives as quote((x,))); a batch is a short list, cheap to walk
        futures = [runner.submit(read_batch, {"items": batch}) for batch in batches]
        return [read for future in futures for read in future.result()]


def _counts(summary: pipeline.RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.run_id,
        "files_seen": len(summary.submissions),
        "accepted": summary.count("accepted") + summary.count("superseded"),
        "rejected": summary.count("rejected"),
        "duplicates": summary.count("duplicate"),
        "districts_changed": len(summary.changed),
        "years_recomputed": summary.years_recomputed,
    }
