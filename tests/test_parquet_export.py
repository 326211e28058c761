"""Parquet copies of the marts: one file per mart and year, only changed years rewritten."""

from __future__ import annotations

import json

import duckdb
import pytest

from transforms.publish.parquet import MANIFEST, export_parquet, update_parquet
from transforms.warehouse.runner import migrate


def log_build(con, years=None, provinces=None):
    con.execute(
        "insert into ops.marts_builds (build_id, built_at, years, province_codes)"
        " values (nextval('ops.marts_build_ids'), now(), ?, ?)",
        [years, provinces],
    )


@pytest.fixture
def con():
    con = duckdb.connect()
    migrate(con)
    con.execute("create schema if not exists marts")
    con.execute(
        "create table marts.t as from (values (2023, '14', ['C1']), (2024, '14', []),"
        " (2024, '58', ['C5', 'A1'])) v(year, province_code, failed)"
    )
    con.execute("create table marts.n as from (values (2023, 1), (2024, 2)) v(year, n)")
    log_build(con)
    return con


def read_back(con, folder, table):
    return con.execute(f"from read_parquet('{folder}/{table}/*.parquet') order by all").fetchall()


def test_a_first_export_writes_every_year_of_every_mart_and_a_manifest(con, tmp_path):
    written = update_parquet(con, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "n/2023.parquet",
        "n/2024.parquet",
        "t/2023.parquet",
        "t/2024.parquet",
    ]
    assert read_back(con, tmp_path, "t") == con.execute("from marts.t order by all").fetchall()
    assert (tmp_path / MANIFEST).exists()
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary file left behind
    assert update_parquet(con, tmp_path) == []  # nothing rebuilt since: nothing written


def test_only_the_years_rebuilt_since_are_written_again(con, tmp_path):
    update_parquet(con, tmp_path)
    con.execute("update marts.t set failed = ['C2'] where year = 2024 and province_code = '58'")
    log_build(con, [2024], ["58"])
    written = update_parquet(con, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "n/2024.parquet",
        "t/2024.parquet",
    ]
    assert read_back(con, tmp_path, "t") == con.execute("from marts.t order by all").fetchall()


def test_a_year_a_mart_no_longer_has_loses_its_file(con, tmp_path):
    update_parquet(con, tmp_path)
    con.execute("delete from marts.t where year = 2023")
    log_build(con, [2023], ["14"])
    update_parquet(con, tmp_path)
    assert not (tmp_path / "t" / "2023.parquet").exists()
    assert (tmp_path / "n" / "2023.parquet").exists()
    assert read_back(con, tmp_path, "t") == con.execute("from marts.t order by all").fetchall()


def test_an_export_killed_before_its_manifest_is_redone_whole_by_the_next(con, tmp_path):
    update_parquet(con, tmp_path)
    (tmp_path / MANIFEST).unlink()  # as if killed between the files and the manifest
    (tmp_path / "t.parquet").write_bytes(b"the single-file layout of an earlier release")
    con.execute("update marts.n set n = 9")
    log_build(con, [2023], ["14"])  # the scope alone would miss 2024
    update_parquet(con, tmp_path)
    assert read_back(con, tmp_path, "n") == [(2023, 9), (2024, 9)]
    assert not (tmp_path / "t.parquet").exists()


def test_a_scoped_export_leaves_other_years_alone(con, tmp_path):
    from transforms.warehouse.scope import Scope

    export_parquet(con, tmp_path)
    before = (tmp_path / "t" / "2023.parquet").stat().st_mtime_ns
    export_parquet(con, tmp_path, Scope.of([2024]))
    assert (tmp_path / "t" / "2023.parquet").stat().st_mtime_ns == before


def test_an_unreadable_manifest_means_everything_is_written_again(con, tmp_path):
    update_parquet(con, tmp_path)
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    written = update_parquet(con, tmp_path)
    assert len(written) == 4
    assert json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["build_id"] == 1
