"""Loading through the plain-Python pipeline: ledger statuses, nothing lost, transactions."""

from __future__ import annotations

import datetime as dt
import gc
import os
import time
import weakref
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.intake.inbox import is_ignored, scan
from transforms.warehouse import connection
from transforms.warehouse.scope import affected_years

NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", settle_seconds=0).ensure()


def drop(settings: Settings, book: Book, name: str, age_s: float = 60) -> Path:
    path = book.write(settings.inbox / name)
    t = time.time() - age_s
    os.utime(path, (t, t))
    return path


def ledger(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.published), read_only=True) as con:
        return con.execute(
            "select file_name, status, error_count from ops.submissions order by submission_id"
        ).fetchall()


def in_force_rows(settings: Settings, district: str = "119", year: int = 2023) -> int:
    with duckdb.connect(str(settings.published), read_only=True) as con:
        row = con.execute(
            "select count(*) from marts.commune_assessment"
            " where district_code = ? and year = ? and status <> 'not_reported'",
            [district, year],
        ).fetchone()
    return int(row[0])


def test_accepted_file_is_loaded_archived_and_leaves_the_inbox(settings):
    path = drop(settings, Book(), "thuan-chau-2023.xlsx")
    data = path.read_bytes()
    summary = pipeline.run_once(settings, "run-1")
    assert summary.count("accepted") == 1
    assert ledger(settings) == [("thuan-chau-2023.xlsx", "accepted", 0)]
    assert not path.exists()
    archived = list(settings.archive.rglob("*.xlsx"))
    assert len(archived) == 1 and archived[0].read_bytes() == data
    assert in_force_rows(settings) == 29


def test_rejected_file_keeps_the_previous_submission_in_force(settings):
    drop(settings, Book(), "a.xlsx", age_s=120)
    pipeline.run_once(settings, "run-1")
    bad = Book()
    bad.rows[0]["fires"] = "ba"
    drop(settings, bad, "b.xlsx")
    pipeline.run_once(settings, "run-2")
    assert ledger(settings) == [("a.xlsx", "accepted", 0), ("b.xlsx", "rejected", 1)]
    with duckdb.connect(str(settings.published), read_only=True) as con:
        issue = con.execute(
            'select sheet, "row", column_name, value, rule from ops.validation_issues'
        ).fetchone()
    assert issue == ("Xã", 4, "Cháy nổ", "ba", "count_not_number")
    assert in_force_rows(settings) == 29


def test_later_accepted_file_supersedes_and_history_is_kept(settings):
    drop(settings, Book(), "first.xlsx", age_s=120)
    second = Book()
    second.rows.pop()
    drop(settings, second, "second.xlsx", age_s=60)
    pipeline.run_once(settings, "run-1")
    assert [r[:2] for r in ledger(settings)] == [
        ("first.xlsx", "superseded"),
        ("second.xlsx", "accepted"),
    ]
    assert in_force_rows(settings) == 28


def test_same_bytes_again_is_a_duplicate_and_changes_nothing(settings):
    path = drop(settings, Book(), "a.xlsx")
    data = path.read_bytes()
    pipeline.run_once(settings, "run-1")
    copy = settings.inbox / "a (copy).xlsx"
    copy.write_bytes(data)
    os.utime(copy, (time.time() - 30,) * 2)
    pipeline.run_once(settings, "run-2")
    assert [r[:2] for r in ledger(settings)] == [
        ("a.xlsx", "accepted"),
        ("a (copy).xlsx", "duplicate"),
    ]


def test_the_same_bytes_twice_in_one_batch_are_archived_once_and_the_later_is_a_duplicate(
    settings,
):
    data = drop(settings, Book(), "b.xlsx", age_s=60).read_bytes()
    twin = settings.inbox / "b (copy).xlsx"
    twin.write_bytes(data)
    os.utime(twin, (time.time() - 30,) * 2)
    pipeline.run_once(settings, "run-1")
    assert [r[:2] for r in ledger(settings)][-2:] == [
        ("b.xlsx", "accepted"),
        ("b (copy).xlsx", "duplicate"),
    ]
    archived = [p for p in settings.archive.rglob("*") if p.is_file()]
    assert sum(p.read_bytes() == data for p in archived) == 1
    assert not [p for p in archived if p.name.startswith(".")]  # no temporary copy left
    assert list(settings.inbox.iterdir()) == []


def test_withdrawing_puts_the_previous_submission_back_in_force(settings):
    drop(settings, Book(), "first.xlsx", age_s=120)
    second = Book()
    second.rows.pop()
    drop(settings, second, "second.xlsx", age_s=60)
    pipeline.run_once(settings, "run-1")
    with pipeline.writing(settings) as con:
        old, now = pipeline.withdraw(con, 2, "sent by mistake")
        pipeline.publish(con, settings)
    assert (old, now) == ("accepted", 1)
    assert [r[1] for r in ledger(settings)] == ["accepted", "withdrawn"]
    assert in_force_rows(settings) == 29


def test_a_failing_load_leaves_the_warehouse_and_inbox_as_before(settings, monkeypatch):
    path = drop(settings, Book(), "a.xlsx")

    def boom(con):
        raise RuntimeError("transform failed")

    monkeypatch.setattr(pipeline, "build_models", boom)
    with pytest.raises(RuntimeError):
        pipeline.run_once(settings, "run-1")
    assert path.exists()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from ops.submissions").fetchone() == (0,)
        assert con.execute("select count(*) from raw.communes").fetchone() == (0,)
    monkeypatch.undo()
    pipeline.run_once(settings, "run-2")
    assert [r[:2] for r in ledger(settings)] == [("a.xlsx", "accepted")]


def test_file_recorded_by_a_run_that_died_before_clearing_the_inbox_is_not_a_duplicate(
    settings, monkeypatch
):
    path = drop(settings, Book(), "a.xlsx")
    monkeypatch.setattr(pipeline, "clear_inbox", lambda received: None)
    pipeline.run_once(settings, "run-1")
    assert path.exists()
    monkeypatch.undo()
    pipeline.run_once(settings, "run-2")
    assert [r[:2] for r in ledger(settings)] == [("a.xlsx", "accepted")]
    assert not path.exists()


def test_lock_files_hidden_files_and_fresh_files_are_left_alone(settings):
    for name in ("~$book.xlsx", ".hidden.xlsx", "upload.xlsx.part"):
        (settings.inbox / name).write_bytes(b"x")
        os.utime(settings.inbox / name, (time.time() - 60,) * 2)
        assert is_ignored(name)
    Book().write(settings.inbox / "copying.xlsx")
    # a file just written is ready once it stays the same between two looks (see
    # test_inbox_settling.py for one still being written)
    assert [f.name for f in scan(settings.inbox, settle_seconds=0)] == ["copying.xlsx"]


def test_rejected_file_with_unreadable_info_is_still_recorded(settings):
    (settings.inbox / "notes.xlsx").write_text("not a workbook")
    os.utime(settings.inbox / "notes.xlsx", (time.time() - 60,) * 2)
    pipeline.run_once(settings, "run-1")
    assert ledger(settings) == [("notes.xlsx", "rejected", 1)]


def test_run_is_logged_in_ops_runs(settings):
    drop(settings, Book(), "a.xlsx")
    pipeline.run_once(settings, "run-1")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        row = con.execute(
            "select run_id, flow, status, files_seen, files_accepted, files_rejected from ops.runs"
        ).fetchone()
    assert row == ("run-1", "nightly", "completed", 1, 1, 0)


def test_affected_years_follow_the_previous_year_and_baseline_rules():
    assert affected_years({("119", 2022)}, 2019, 2025) == [2022, 2023]
    assert affected_years({("119", 2025)}, 2019, 2025) == [2025]
    assert affected_years({("119", 2019)}, 2019, 2025) == list(range(2019, 2026))


def test_reparse_after_a_reader_fix_accepts_a_file_rejected_before(
    settings, monkeypatch, readers_see_patches
):
    from transforms.workbook import contract

    drop(settings, Book(), "first.xlsx", age_s=120)
    maybe = Book()
    maybe.rows[0]["party_resolution"] = "có lẽ"  # not a yes/no the reader knows
    maybe.rows.pop()
    drop(settings, maybe, "second.xlsx", age_s=60)
    pipeline.run_once(settings, "run-1")
    assert [r[1] for r in ledger(settings)] == ["accepted", "rejected"]

    monkeypatch.setattr(contract, "YES", contract.YES | {"co le"})
    run = pipeline.RunStart.now("run-2", "backfill")
    summary = pipeline.backfill(settings, run, range(2023, 2024), reparse=True)
    assert summary.changed == {("119", 2023)}
    assert ledger(settings) == [
        ("first.xlsx", "superseded", 0),
        ("second.xlsx", "accepted", 0),
    ]
    assert in_force_rows(settings) == 28
    with duckdb.connect(str(settings.published), read_only=True) as con:
        assert con.execute(
            "select count(*) from ops.validation_issues where rule = 'yesno_invalid'"
        ).fetchall() == [(0,)]


def test_reparse_limited_to_other_districts_leaves_these_files_alone(settings):
    drop(settings, Book(), "a.xlsx")
    pipeline.run_once(settings, "run-1")
    with pipeline.writing(settings) as con:
        assert pipeline.archived_submissions(con, 2023, 2023, ["248"]).empty
        assert len(pipeline.archived_submissions(con, 2023, 2023, ["119"])) == 1
        assert pipeline.archived_submissions(con, 2019, 2022).empty


def test_backfill_after_a_ruleset_change_recomputes_the_marts(settings, monkeypatch):
    from transforms.reference import ruleset
    from transforms.warehouse import connection as warehouse

    book = Book()
    for row in book.rows:
        row["villages_safe"] = 8  # 80%: meets C6 at 70%, not at 85%
    drop(settings, book, "a.xlsx")
    pipeline.run_once(settings, "run-1")

    def share(con):
        return con.execute(
            "select count(*) from marts.commune_flags where condition = 'C6_safe_villages'"
        ).fetchall()[0][0]

    with duckdb.connect(str(settings.published), read_only=True) as con:
        assert share(con) == 0
    stricter = tuple({**r, "min_safe_village_share": 0.85} for r in ruleset.load_rulesets())
    monkeypatch.setattr(warehouse, "load_rulesets", lambda: stricter)
    pipeline.backfill(settings, pipeline.RunStart.now("run-2", "backfill"), range(2019, 2026))
    with duckdb.connect(str(settings.published), read_only=True) as con:
        assert share(con) == 29


def test_a_run_with_nothing_new_keeps_the_snapshot_and_logs_the_run(settings):
    drop(settings, Book(), "a.xlsx")
    pipeline.run_once(settings, "run-1")
    before = settings.published.stat().st_mtime_ns
    pipeline.run_once(settings, "run-2")
    assert settings.published.stat().st_mtime_ns == before
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        runs = con.execute("select run_id, files_seen from ops.runs order by run_id").fetchall()
    assert runs == [("run-1", 1), ("run-2", 0)]


# memory: a night of seven national years must stay within the run's budget (bench/run.py)


def test_the_warehouse_connection_bounds_what_duckdb_holds(settings):
    with pipeline.writing(settings) as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()
    with duckdb.connect() as fresh:
        fresh.execute(f"set memory_limit = '{connection.MEMORY_LIMIT}'")
        expected = fresh.execute("select current_setting('memory_limit')").fetchone()
    assert limit == expected


def test_the_checked_rows_are_let_go_once_recorded(settings, monkeypatch):
    drop(settings, Book(), "a.xlsx")
    rows: list[weakref.ref[pd.DataFrame]] = []
    held_when_publishing: list[bool] = []

    def read(paths, names):
        validated = pipeline.read_here(paths, names)
        rows.extend(weakref.ref(getattr(validated.rows, sheet)) for sheet in ("communes", "models"))
        return validated

    def publish(con, settings):
        gc.collect()
        held_when_publishing.extend(ref() is not None for ref in rows)
        return real_publish(con, settings)

    real_publish = pipeline.publish
    monkeypatch.setattr(pipeline, "publish", publish)
    how = pipeline.Orchestration(read=read)
    summary = pipeline.nightly(settings, pipeline.RunStart.now("run-1", "nightly"), how)
    assert summary.count("accepted") == 1 and in_force_rows(settings) == 29
    assert held_when_publishing == [False, False]
