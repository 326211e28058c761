"""The fast path equals the straightforward one: recomputing only the years and
provinces a change reaches gives exactly the marts of a full rebuild from raw."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.demo.generate import generate_demo, generate_district_files
from transforms.warehouse.runner import build_models, model_paths, model_relation
from transforms.warehouse.scope import Scope

MARTS = [model_relation(p) for p in model_paths() if p.startswith("marts/")]


def snapshot_of(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {m: con.execute(f"from {m} order by all").fetchall() for m in MARTS}


def marts_equal_a_full_rebuild(warehouse, tmp_path) -> bool:
    """Rebuild every model from raw on a copy (the warehouse keeps its build log) and
    compare its marts with the warehouse's."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(warehouse, copy)
    log = Path(f"{warehouse}.wal")  # not checkpointed yet: part of the warehouse
    if log.exists():
        shutil.copyfile(log, f"{copy}.wal")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        incremental = snapshot_of(con)
    with duckdb.connect(str(copy)) as con:
        build_models(con)
        return snapshot_of(con) == incremental


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    home = tmp_path_factory.mktemp("incremental")
    settings = Settings(home=home, settle_seconds=0).ensure()
    # two provinces, so that a change in one must leave the other as it was
    generate_demo(settings.inbox, province_codes=("58", "26"), years=range(2019, 2026))
    pipeline.run_once(settings, "first")
    return settings


def test_a_resubmission_a_baseline_change_and_a_rejected_file_match_a_full_rebuild(
    loaded, tmp_path
):
    settings = loaded
    # a corrected 2021 file of one district, a new 2019 (baseline) file of another,
    # a rejected 2023 file of a third: Y, Y+1, every year, a status change; and the
    # first 2022 file of a province that had sent nothing (it enters the marts)
    generate_district_files(settings.inbox, ["584"], [2021], seed=7)
    generate_district_files(settings.inbox, ["582"], [2019], seed=7)
    generate_district_files(settings.inbox, ["094"], [2022], seed=7)
    bad = Book(district="585", year=2023)
    bad.rows[0]["fires"] = "ba"
    bad.write(settings.inbox / "585-2023-bad.xlsx")
    for f in settings.inbox.iterdir():
        os.utime(f, (time.time() - 60,) * 2)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        other_province_before = con.execute(
            "select build_id from ops.marts_builds order by build_id"
        ).fetchall()
        vinh_phuc = con.execute(
            "from marts.commune_assessment where province_code = '26' order by all"
        ).fetchall()
    summary = pipeline.run_once(settings, "second")
    assert summary.changed == {("584", 2021), ("582", 2019), ("585", 2023), ("094", 2022)}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        scope = con.execute(
            "select years, province_codes from ops.marts_builds where build_id > ?",
            [other_province_before[-1][0]],
        ).fetchall()
        # the rebuild reached only the provinces that changed (and the nation)
        assert scope == [(list(range(2019, 2026)), ["11", "58"])]
        assert (
            con.execute(
                "from marts.commune_assessment where province_code = '26' order by all"
            ).fetchall()
            == vinh_phuc
        )
        assert con.execute(
            "select distinct year from marts.commune_assessment where province_code = '11'"
        ).fetchall() == [(2022,)]

    # the straightforward recomputation from raw
    assert marts_equal_a_full_rebuild(settings.warehouse, tmp_path)


def test_a_district_that_sent_only_a_rejected_file_shows_as_rejected(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book(district="119").write(settings.inbox / "good.xlsx")
    os.utime(settings.inbox / "good.xlsx", (time.time() - 60,) * 2)
    pipeline.run_once(settings, "first")
    bad = Book(district="118")
    bad.rows[0]["fires"] = "ba"
    bad.write(settings.inbox / "bad.xlsx")
    os.utime(settings.inbox / "bad.xlsx", (time.time() - 60,) * 2)
    pipeline.run_once(settings, "second")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        rows = con.execute(
            "select district_code, submission_status from marts.district_summary"
            " where district_code in ('118', '119') and year = 2023 order by 1"
        ).fetchall()
    assert rows == [("118", "rejected"), ("119", "late")]  # received today for 2023


def test_the_snapshot_updated_for_those_years_equals_one_published_from_scratch(loaded, tmp_path):
    from transforms.publish.snapshot import publish_snapshot

    # the module's second run replaced only the years it recomputed in the snapshot
    with duckdb.connect(str(loaded.warehouse)) as con:
        assert pipeline.snapshot_plan(con, loaded) == "current"
        fresh = publish_snapshot(con, tmp_path / "fresh.duckdb")

    def tables(path):
        with duckdb.connect(str(path), read_only=True) as snap:
            names = snap.execute(
                "select schema_name || '.' || table_name from duckdb_tables() order by 1"
            ).fetchall()
            return {n: snap.execute(f"from {n} order by all").fetchall() for (n,) in names}

    incremental, scratch = tables(loaded.published), tables(fresh)
    assert incremental.keys() == scratch.keys()
    for name in scratch:
        assert incremental[name] == scratch[name], name


def test_the_publish_plan_follows_the_builds_the_snapshot_has_not_seen(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book().write(settings.inbox / "a.xlsx")
    os.utime(settings.inbox / "a.xlsx", (time.time() - 60,) * 2)
    pipeline.run_once(settings, "first")
    with duckdb.connect(str(settings.warehouse)) as con:
        assert pipeline.snapshot_plan(con, settings) == "current"
        # as a run that died before publishing would
        build_models(con, Scope.of([2023, 2024], ["26"]))
        assert pipeline.snapshot_plan(con, settings) == Scope((2023, 2024), ("26",))
        build_models(con)
        assert pipeline.snapshot_plan(con, settings) == "full"


def test_reference_data_is_rewritten_only_when_it_changes(tmp_path):
    from transforms.warehouse.connection import connect, refresh_reference

    path = tmp_path / "w.duckdb"
    connect(path).close()
    with duckdb.connect(str(path)) as con:
        assert refresh_reference(con) is False  # same registry and rulesets: nothing written
        con.execute("delete from ops.reference_state")
        assert refresh_reference(con) is True
        assert con.execute("select count(*) from ref.communes").fetchall() == [(10051,)]


def test_a_ruleset_edited_by_a_province_reassesses_every_commune_on_the_next_run(
    tmp_path, monkeypatch
):
    from transforms.reference import ruleset
    from transforms.warehouse import connection as warehouse

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    generate_district_files(settings.inbox, ["584", "585"], [2022, 2023], seed=7)
    for f in settings.inbox.iterdir():
        os.utime(f, (time.time() - 60,) * 2)
    pipeline.run_once(settings, "first")
    c6 = (
        "select count(*) from marts.commune_flags"
        " where condition = 'C6_safe_villages' and outcome = 'fail'"
    )
    with duckdb.connect(str(settings.published), read_only=True) as con:
        before = con.execute(c6).fetchall()[0][0]

    stricter = tuple({**r, "min_safe_village_share": 1.0} for r in ruleset.load_rulesets())
    monkeypatch.setattr(warehouse, "load_rulesets", lambda: stricter)
    pipeline.run_once(settings, "after-the-edit")  # nothing new in the inbox

    with duckdb.connect(str(settings.published), read_only=True) as con:
        after = con.execute(c6).fetchall()[0][0]
        last = con.execute(
            "select years from ops.marts_builds order by build_id desc limit 1"
        ).fetchall()
    assert after > before
    assert last == [(None,)]  # a full rebuild
    assert marts_equal_a_full_rebuild(settings.warehouse, tmp_path)


def test_a_model_whose_sql_changed_is_rebuilt_whole_by_the_next_run(tmp_path, monkeypatch):
    """An upgrade that adds a column to a mart cannot be applied by a scoped build (the
    insert would not fit the old table): the models' SQL is part of the fingerprint."""
    from transforms.warehouse import runner

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    generate_district_files(settings.inbox, ["584"], [2023], seed=7)
    for f in settings.inbox.iterdir():
        os.utime(f, (time.time() - 60,) * 2)
    pipeline.run_once(settings, "first")

    real_read = runner._read

    def upgraded(path: str) -> str:
        sql = real_read(path)
        if path == "marts/district_summary.sql":
            return f"select *, 1 as count_new_thing from ({sql})"
        return sql

    monkeypatch.setattr(runner, "_read", upgraded)
    runner.models_fingerprint.cache_clear()
    generate_district_files(settings.inbox, ["585"], [2023], seed=7)  # a change: scoped build
    for f in settings.inbox.iterdir():
        os.utime(f, (time.time() - 60,) * 2)
    try:
        pipeline.run_once(settings, "after-the-upgrade")
    finally:
        runner.models_fingerprint.cache_clear()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe marts.district_summary").fetchall()]
        last = con.execute(
            "select years from ops.marts_builds order by build_id desc limit 1"
        ).fetchall()
    assert "count_new_thing" in columns
    assert last == [(None,)]  # a full rebuild
