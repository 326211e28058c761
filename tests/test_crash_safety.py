"""Crash safety: a run killed with SIGKILL at any point loses nothing, and a rerun ends
exactly where a clean run ends. A transient I/O error is retried by the flow.

The kill comes from inside the run: the subprocess wraps one pipeline function so
that it kills its own process at the chosen point (no hook in production code).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
T0 = 1_736_000_000  # file modification times are fixed: received order is the same everywhere

# The subprocess: wrap one function so that its process dies at the chosen point.
CRASH = r"""
import os, pathlib, shutil, signal, sys
from ntm.settings import Settings
from transforms.warehouse import duck
from transforms.warehouse import ledger as load
from transforms.publish import parquet as parquet_export
from transforms import pipeline
from transforms import atomic
from transforms.warehouse import runner as sqlrunner

home, point = pathlib.Path(sys.argv[1]), sys.argv[2]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def kill_on(module, name, nth, after=False):
    real = getattr(module, name)
    calls = [0]
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == nth and not after:
            die()
        out = real(*args, **kwargs)
        if calls[0] == nth and after:
            die()
        return out
    setattr(module, name, wrapper)

if point == "archiving":  # the second file's bytes copied, not yet renamed into place
    kill_on(shutil, "copyfile", 2, after=True)
elif point == "mid-load":  # ledger and issues inserted, raw rows not yet: in the transaction
    kill_on(load, "insert_frame", 3)
elif point == "mid-transform":  # models being rebuilt: models.txt and the three files the
    # in-force settle reads come first, then each model's file in build order
    kill_on(sqlrunner, "_read", 14)
elif point == "after-commit":  # committed, files still in the inbox
    kill_on(pipeline, "clear_inbox", 1)
elif point == "publishing":  # the new snapshot written aside, not yet swapped in
    real_replace = os.replace
    def replace(src, dst, *args, **kwargs):
        if pathlib.Path(dst) == Settings(home=home).published:
            die()
        return real_replace(src, dst, *args, **kwargs)
    atomic.os = type(sys)("os_for_atomic")
    atomic.os.__dict__.update(os.__dict__, replace=replace)
elif point == "exporting":  # snapshot swapped in, the second Parquet file just written
    kill_on(parquet_export, "_write", 2, after=True)
pipeline.run_once(Settings(home=home, settle_seconds=0), "crashing-run")
print("survived")
"""
RERUN = r"""
import pathlib, sys
from ntm.settings import Settings
from transforms import pipeline
pipeline.run_once(Settings(home=pathlib.Path(sys.argv[1]), settle_seconds=0), sys.argv[2])
"""
BEFORE_COMMIT = ("archiving", "mid-load", "mid-transform")
AFTER_COMMIT = ("after-commit", "publishing", "exporting")


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def _write(path: Path, book: Book, stamp: int) -> None:
    book.write(path)
    os.utime(path, (stamp, stamp))


def first_batch(inbox: Path) -> None:
    _write(inbox / "b1-116.xlsx", Book(district="116"), T0)
    _write(inbox / "b1-118.xlsx", Book(district="118"), T0 + 1)


def second_batch(inbox: Path, first: Path) -> None:
    """A new district, a later file superseding one, a rejected file, a duplicate."""
    _write(inbox / "b2-119.xlsx", Book(district="119"), T0 + 100)
    newer = Book(district="116")
    newer.rows.pop()
    newer.rows[0]["fires"] = 3
    _write(inbox / "b2-116-v2.xlsx", newer, T0 + 101)
    bad = Book(district="120")
    bad.rows[0]["fires"] = -1
    _write(inbox / "b2-120-bad.xlsx", bad, T0 + 102)
    (inbox / "b2-copy-of-118.xlsx").write_bytes((first / "b1-118.xlsx").read_bytes())
    os.utime(inbox / "b2-copy-of-118.xlsx", (T0 + 103, T0 + 103))


def state(db: Path) -> dict[str, list[tuple]]:
    """Return everything a run decides, without run ids, clock times and paths."""
    out: dict[str, list[tuple]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        out["ops.submissions"] = con.execute(
            "select submission_id, file_name, sha256, received_at, province_code,"
            " district_code, year, status, error_count, warning_count, status_note"
            " from ops.submissions order by submission_id"
        ).fetchall()
        out["ops.validation_issues"] = con.execute(
            "select * from ops.validation_issues order by all"
        ).fetchall()
        out["ops.runs"] = con.execute(
            "select flow, status, files_seen, files_accepted, files_rejected from ops.runs"
            " where files_seen > 0 order by started_at"
        ).fetchall()
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables()"
            " where schema_name in ('raw', 'marts') order by 1"
        ).fetchall()
        for (table,) in tables:
            out[table] = con.execute(f"select * from {table} order by all").fetchall()
    return out


def archived(home: Path) -> set[str]:
    """Return the names of the archived files (leftover temporary copies excluded)."""
    return {p.name for p in (home / "archive").rglob("*") if p.is_file() and p.name[0] != "."}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Write both batches once: every home receives the very same bytes."""
    first = tmp_path_factory.mktemp("batch1")
    second = tmp_path_factory.mktemp("batch2")
    first_batch(first)
    second_batch(second, first)
    return first, second


def parquet_state(settings: Settings) -> dict[str, list[tuple]]:
    """Return the rows of every mart's Parquet files."""
    with duckdb.connect() as con:
        return {
            folder.name: con.execute(
                f"from read_parquet('{folder}/*.parquet') order by all"
            ).fetchall()
            for folder in sorted(settings.parquet.iterdir())
            if folder.is_dir()
        }


def _fill(inbox: Path, folder: Path) -> None:
    for path in folder.iterdir():
        shutil.copy2(path, inbox / path.name)


@pytest.fixture(scope="module")
def clean(files, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The reference: both batches run cleanly, one after the other."""
    first, second = files
    settings = Settings(home=tmp_path_factory.mktemp("clean") / "home", settle_seconds=0)
    settings.ensure()
    _fill(settings.inbox, first)
    pipeline.run_once(settings, "clean-1")
    before = state(settings.warehouse)
    published_before = state(settings.published)
    _fill(settings.inbox, second)
    pipeline.run_once(settings, "clean-2")
    return {
        "before": before,
        "published_before": published_before,
        "after": state(settings.warehouse),
        "published": state(settings.published),
        "archived": archived(settings.home),
        "parquet": parquet_state(settings),
    }


@pytest.mark.parametrize("point", BEFORE_COMMIT + AFTER_COMMIT)
def test_a_run_killed_at_any_point_loses_nothing_and_a_rerun_ends_as_a_clean_run(
    point, files, clean, tmp_path
):
    first, second = files
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    _fill(settings.inbox, first)
    pipeline.run_once(settings, "run-1")
    _fill(settings.inbox, second)
    received = {p.name: p.read_bytes() for p in second.iterdir()}

    crashed = _python(CRASH, str(settings.home), point)
    assert crashed.returncode == -signal.SIGKILL, (crashed.stdout, crashed.stderr[-2000:])

    # the warehouse opens and holds the state before the run (or the run's, once committed)
    now = state(settings.warehouse)
    assert now == (clean["before"] if point in BEFORE_COMMIT else clean["after"])
    # no received file is lost: each is in the inbox or recorded with its bytes archived
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        recorded = dict(
            con.execute("select file_name, archive_path from ops.submissions").fetchall()
        )
    for name, data in received.items():
        waiting = settings.inbox / name
        if waiting.exists():
            assert waiting.read_bytes() == data, name
        else:
            assert Path(recorded[name]).read_bytes() == data, name
    # the published snapshot is whole: the old one, or the new one
    published = state(settings.published)
    assert published in (clean["published_before"], clean["published"])

    rerun = _python(RERUN, str(settings.home), "rerun")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert state(settings.warehouse) == clean["after"]
    assert state(settings.published) == clean["published"]
    assert archived(settings.home) == clean["archived"]
    assert parquet_state(settings) == clean["parquet"]
    assert list(settings.inbox.iterdir()) == []
    # and the temporary copies the killed run left are gone
    assert not [p for p in settings.home.rglob("*.tmp*") if p.is_file()]


def test_the_writer_lock_is_free_after_a_killed_run(files, tmp_path):
    from transforms.intake.lock import writer_lock

    first, _ = files
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    _fill(settings.inbox, first)
    crashed = _python(CRASH, str(settings.home), "mid-load")
    assert crashed.returncode == -signal.SIGKILL
    with writer_lock(settings.lock_file, timeout=1):
        pass


# --- a transient failure is retried by the flow ---------------------------------------


def test_a_transient_io_error_while_archiving_is_retried_and_the_run_succeeds(
    prefect_server,
    tmp_path,
    monkeypatch,
):
    from flows.nightly import nightly
    from transforms.intake import inbox

    monkeypatch.setenv("NTM_SETTLE_SECONDS", "0")
    home = tmp_path / "home"
    Settings(home=home).ensure()
    Book().write(home / "inbox" / "thuan-chau.xlsx")
    os.utime(home / "inbox" / "thuan-chau.xlsx", (T0, T0))
    real = inbox.shutil.copyfile
    calls: list[str] = []

    def flaky(src, dst, *args, **kwargs):
        calls.append(str(src))
        if len(calls) == 1:
            raise OSError(5, "Input/output error (injected once)")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(inbox.shutil, "copyfile", flaky)
    counts = nightly(home=str(home))
    assert len(calls) == 2  # failed once, retried once
    assert counts["files_seen"] == 1 and counts["accepted"] == 1
    assert list((home / "inbox").iterdir()) == []
    with duckdb.connect(str(home / "published" / "ntm.duckdb"), read_only=True) as con:
        assert con.execute("select status from ops.submissions").fetchall() == [("accepted",)]
