"""What a BI tool does first with the snapshot: reflect it through SQLAlchemy + duckdb-engine.

Superset, Metabase's SQLAlchemy bridges, `pandas.read_sql_table` and notebooks all start by
reflecting: schemas, tables, views, each table's columns with types and comments. With
duckdb-engine 0.17.0 that goes through SQLAlchemy's PostgreSQL queries, which newer
SQLAlchemy releases extend beyond DuckDB's pg_catalog (see the pin in pyproject.toml), so an
upgrade that breaks reflection fails here.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.bi_snapshot import MARTS, YEARS, publish_bi_snapshot
from transforms.publish.dictionary import load_dictionary

# duckdb-engine cannot reflect indexes (it says so), and SQLAlchemy has no type for DuckDB
# lists: they come back as NullType, which is why the snapshot has text twins
pytestmark = [
    pytest.mark.filterwarnings("ignore:duckdb-engine doesn't yet support reflection on indices"),
    pytest.mark.filterwarnings("ignore:Did not recognize type"),
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return publish_bi_snapshot(tmp_path_factory.mktemp("bi-reflection"))


@dataclass
class Facts:
    """What DuckDB itself says of the snapshot, read before any engine opens it (one
    process cannot open a file with two configurations at once)."""

    columns: dict[str, list[tuple[str, str]]]  # mart -> [(column, DuckDB type)], in order
    counts: dict[str, int]
    chart: list[tuple]  # communes meeting by province, last year


@pytest.fixture(scope="module")
def facts(snapshot) -> Facts:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from duckdb_columns()"
            " where schema_name = 'marts' order by table_name, column_index"
        ).fetchall()
        counts = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
        chart = con.execute(
            "select province_name, communes_meeting, communes_expected"
            " from marts.province_summary where year = 2023 order by province_name"
        ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append((column, data_type))
    return Facts(columns, counts, chart)


@pytest.fixture(scope="module")
def engine(snapshot, facts):
    """The engine a BI tool creates: duckdb-engine, read only."""
    engine = sa.create_engine(f"duckdb:///{snapshot}", connect_args={"read_only": True})
    yield engine
    engine.dispose()


def _expected_type(data_type: str) -> type[sa.types.TypeEngine]:
    """The SQLAlchemy type a DuckDB column type must reflect as."""
    if data_type.endswith("[]"):
        return sa.types.NullType
    return {
        "INTEGER": sa.types.Integer,
        "BIGINT": sa.types.Integer,
        "DOUBLE": sa.types.Float,
        "BOOLEAN": sa.types.Boolean,
        "VARCHAR": sa.types.String,
        "TIMESTAMP WITH TIME ZONE": sa.types.DateTime,
    }[data_type]


def test_a_bi_tool_lists_the_snapshots_schemas_tables_and_views(engine, snapshot):
    inspector = sa.inspect(engine)
    # duckdb-engine names schemas after their catalogue: the snapshot file's stem
    schemas = inspector.get_schema_names()
    assert {f"{snapshot.stem}.{s}" for s in ("ref", "ops", "marts")} <= set(schemas)
    assert tuple(inspector.get_table_names(schema="marts")) == MARTS
    assert {"provinces", "districts", "communes"} <= set(inspector.get_table_names(schema="ref"))
    assert {"submissions", "runs"} <= set(inspector.get_table_names(schema="ops"))
    # the snapshot holds tables only: a view would point into the working warehouse
    for schema in ("ref", "ops", "marts"):
        assert inspector.get_view_names(schema=schema) == []


def test_every_mart_column_reflects_with_its_type_and_its_dictionary_comment(engine, facts):
    inspector = sa.inspect(engine)
    dictionary = load_dictionary()
    for mart in MARTS:
        entry = dictionary[mart]
        assert inspector.get_table_comment(mart, schema="marts") == {"text": entry.description}
        columns = inspector.get_columns(mart, schema="marts")
        assert [c["name"] for c in columns] == [name for name, _ in facts.columns[mart]], mart
        types = dict(facts.columns[mart])
        meanings = entry.meanings(snapshot=True)
        for column in columns:
            name = column["name"]
            expected = _expected_type(types[name])
            assert isinstance(column["type"], expected), (mart, name, column["type"])
            assert column["comment"] == meanings[name], (mart, name)


def test_metadata_reflect_finds_every_mart_with_all_its_columns(engine, facts):
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, schema="marts")
    assert sorted(metadata.tables) == [f"marts.{m}" for m in MARTS]
    for mart in MARTS:
        table = metadata.tables[f"marts.{mart}"]
        assert [c.name for c in table.columns] == [n for n, _ in facts.columns[mart]], mart
        assert table.comment == load_dictionary()[mart].description


def test_pandas_read_sql_table_reads_every_mart_whole(engine, facts):
    for mart in MARTS:
        frame = pd.read_sql_table(mart, engine, schema="marts")
        assert len(frame) == facts.counts[mart] > 0, mart
        assert list(frame.columns) == [n for n, _ in facts.columns[mart]], mart
    assessment = pd.read_sql_table("commune_assessment", engine, schema="marts")
    assert set(assessment["year"]) == set(YEARS)
    assert set(assessment["status"]) == {"meets", "falls_short", "not_assessable", "not_reported"}
    short = assessment[assessment["status"] == "falls_short"].iloc[0]
    # 2 crimes as in 2022: no reduction either, so A1 fails too
    assert short["failed_conditions_text"] == "C4_no_serious_crime, A1_crime_reduced"
    assert list(short["failed_conditions"]) == ["C4_no_serious_crime", "A1_crime_reduced"]


def test_a_core_query_on_a_reflected_table_answers_the_chart_question(engine, facts):
    """Communes meeting 19.2 by province in the last year, as a chart would ask it."""
    metadata = sa.MetaData()
    provinces = sa.Table("province_summary", metadata, schema="marts", autoload_with=engine)
    last_year = sa.select(sa.func.max(provinces.c.year)).scalar_subquery()
    query = (
        sa.select(
            provinces.c.province_name,
            sa.func.sum(provinces.c.communes_meeting).label("meeting"),
            sa.func.sum(provinces.c.communes_expected).label("communes"),
        )
        .where(provinces.c.year == last_year)
        .group_by(provinces.c.province_name)
        .order_by(provinces.c.province_name)
    )
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(query)]
    assert got == facts.chart
    # 29 communes of Thuận Châu: one falls short, one not assessable, one not reported
    assert got == [("Tỉnh Sơn La", 26, 204)]
