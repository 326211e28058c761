"""What BI tools read: the snapshot through SQLAlchemy read-only, text twins, Parquet."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from ntm.settings import Settings
from tests.bi_snapshot import MARTS
from tests.workbooks import Book
from transforms import pipeline
from transforms.demo.generate import generate_district_files
from transforms.publish.snapshot import publish_snapshot
from transforms.publish.text_twins import add_text_twins, list_columns
from transforms.warehouse.scope import Scope

RUN = (
    "import sys, pathlib; from ntm.settings import Settings; "
    "from transforms.pipeline import run_once; "
    "run_once(Settings(home=pathlib.Path(sys.argv[1]), settle_seconds=0), sys.argv[2])"
)


def _aged(path: Path) -> None:
    os.utime(path, (time.time() - 60,) * 2)


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("bi") / "home", settle_seconds=0).ensure()
    book = Book()
    book.rows[0].update(social_order_crimes=2, serious_crimes=1)
    _aged(book.write(settings.inbox / "thuan-chau-2023.xlsx"))
    pipeline.run_once(settings, "bi-run-1")
    return settings


def engine_for(path: Path) -> sa.Engine:
    """Return the engine a BI tool would use: duckdb-engine, read only."""
    return sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})


def query_every_mart(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {
            mart: conn.execute(sa.text(f"select count(*) from marts.{mart}")).scalar_one()
            for mart in MARTS
        }
        for mart in MARTS:
            conn.execute(sa.text(f"select * from marts.{mart} limit 5")).fetchall()
    return counts


def test_snapshot_opens_read_only_through_sqlalchemy_and_duckdb_engine(settings):
    engine = engine_for(settings.published)
    try:
        counts = query_every_mart(engine)
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            conn.execute(sa.text("create table marts.scratch as select 1 as x"))
    finally:
        engine.dispose()
    assert counts["commune_assessment"] == 204  # every commune of Son La
    assert counts["national_summary"] == 1


def test_the_snapshot_is_one_file_with_everything_in_it_while_the_warehouse_keeps_its_log(
    settings, tmp_path
):
    # the working warehouse leaves its write-ahead log for a later checkpoint; the
    # snapshot must not: a BI tool given the file alone (copied, mailed) sees every row
    assert not Path(f"{settings.published}.wal").exists()
    alone = tmp_path / "alone.duckdb"
    alone.write_bytes(settings.published.read_bytes())
    with duckdb.connect(str(alone), read_only=True) as con:
        flags = con.execute("select count(*) from marts.commune_flags").fetchone()
        runs = con.execute("select count(*) from ops.runs").fetchone()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert flags == con.execute("select count(*) from marts.commune_flags").fetchone()
        assert flags is not None and flags[0] > 0
        assert runs == con.execute("select count(*) from ops.runs").fetchone()


def test_every_list_column_of_the_snapshot_marts_gets_a_varchar_text_twin(settings, tmp_path):
    snapshot = tmp_path / "ntm.duckdb"
    snapshot.write_bytes(settings.published.read_bytes())
    con = duckdb.connect()
    con.execute(f"attach '{snapshot}' as snapshot")
    lists = list_columns(con, "snapshot.marts")
    assert ("commune_assessment", "failed_conditions") in lists
    # publishing added the twins already, so another call finds nothing to add
    assert add_text_twins(con, "snapshot.marts") == []
    types = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns()"
            " where database_name = 'snapshot' and table_name = 'commune_assessment'"
        ).fetchall()
    )
    assert types["failed_conditions_text"] == "VARCHAR"
    assert types["unknown_conditions_text"] == "VARCHAR"
    con.execute("detach snapshot")
    con.close()
    engine = engine_for(snapshot)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select failed_conditions, failed_conditions_text"
                    " from marts.commune_assessment where status = 'falls_short'"
                )
            ).fetchall()
    finally:
        engine.dispose()
    assert rows and all(text == ", ".join(items) for items, text in rows)
    assert any("C4_no_serious_crime" in text for _, text in rows)


def test_text_twins_keep_empty_and_null_lists_apart(tmp_path):
    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 's.duckdb'}' as snapshot")
    con.execute("create schema snapshot.marts")
    con.execute("create table snapshot.marts.t (k int, codes varchar[], years int[])")
    con.execute(
        "insert into snapshot.marts.t values (1, ['a', 'b'], [2019]), (2, [], []), (3, null, null)"
    )
    assert add_text_twins(con, "snapshot.marts") == ["t.codes_text", "t.years_text"]
    rows = con.execute(
        "select k, codes_text, years_text from snapshot.marts.t order by k"
    ).fetchall()
    assert rows == [(1, "a, b", "2019"), (2, "", ""), (3, None, None)]


def test_a_run_exports_every_mart_as_parquet_with_the_same_rows(settings):
    folder = settings.parquet
    with duckdb.connect(str(settings.published), read_only=True) as con:
        for mart in MARTS:
            files = sorted(p.name for p in (folder / mart).iterdir())
            assert files == ["2023.parquet"], mart
            result = con.execute(f"from read_parquet('{folder}/{mart}/*.parquet') order by all")
            columns = ", ".join(d[0] for d in result.description)  # the snapshot adds text twins
            got = result.fetchall()
            expected = con.execute(f"select {columns} from marts.{mart} order by all").fetchall()
            assert got == expected, mart
        lists = con.execute(
            f"select failed_conditions from read_parquet('{folder}/commune_assessment/*.parquet')"
            " where status = 'falls_short'"
        ).fetchall()
    assert lists and all(isinstance(v, list) for (v,) in lists)


@pytest.mark.slow
def test_a_bi_reader_queries_every_mart_while_a_run_writes_the_warehouse(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    _aged(Book().write(settings.inbox / "thuan-chau-2023.xlsx"))
    pipeline.run_once(settings, "run-1")
    # enough work for the writer to be busy for a few seconds: a province, two years
    from transforms.reference.registry import load_registry

    districts = load_registry().districts_of("58")["district_code"].tolist()
    for path in generate_district_files(settings.inbox, districts, (2022, 2023)):
        _aged(path)
    writer = subprocess.Popen(
        [sys.executable, "-c", RUN, str(settings.home), "run-2"],
        stderr=subprocess.PIPE,
        text=True,
    )
    reads_during_run = 0
    try:
        while writer.poll() is None:
            engine = engine_for(settings.published)
            try:
                counts = query_every_mart(engine)
            finally:
                engine.dispose()
            assert counts["commune_assessment"] > 0
            if writer.poll() is None:
                reads_during_run += 1
    finally:
        _, errors = writer.communicate(timeout=300)
    assert writer.returncode == 0, errors
    assert reads_during_run >= 3
    engine = engine_for(settings.published)
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("select run_id from ops.runs order by run_id")).fetchall()
        assert query_every_mart(engine)["district_summary"] > 1
    finally:
        engine.dispose()
    assert [r for (r,) in runs] == ["run-1", "run-2"]  # the reader now sees the new snapshot


def test_a_snapshot_updated_by_scope_takes_the_reference_tables_only_when_they_changed(
    settings, tmp_path
):
    work = tmp_path / "warehouse.duckdb"
    work.write_bytes(settings.warehouse.read_bytes())
    log = Path(f"{settings.warehouse}.wal")
    if log.exists():
        Path(f"{work}.wal").write_bytes(log.read_bytes())
    snapshot = tmp_path / "ntm.duckdb"
    scope = Scope.of([2023], ["14"])
    with duckdb.connect(str(work)) as con:
        publish_snapshot(con, snapshot)
        # a name changed behind the fingerprint's back is not taken: the reference is the same
        con.execute(
            "update ref.provinces set province_name = 'Sơn La (a)' where province_code = '14'"
        )
        publish_snapshot(con, snapshot, scope)
        with duckdb.connect(str(snapshot), read_only=True) as snap:
            names = snap.execute(
                "select province_name from ref.provinces where province_code = '14'"
            )
            assert names.fetchone() == ("Tỉnh Sơn La",)
        # a new reference is taken whole, even by a scoped update
        con.execute("update ops.reference_state set fingerprint = 'another'")
        publish_snapshot(con, snapshot, scope)
    with duckdb.connect(str(snapshot), read_only=True) as snap:
        names = snap.execute("select province_name from ref.provinces where province_code = '14'")
        assert names.fetchone() == ("Sơn La (a)",)
        assert snap.execute("select fingerprint from ops.reference_state").fetchone() == (
            "another",
        )
