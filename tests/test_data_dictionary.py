"""The data dictionary (sql/dictionary.toml): complete, in the warehouse and the snapshot as
COMMENT ON, and rendered into docs/data-dictionary.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest

from tests.bi_snapshot import build_bi_warehouse
from transforms.publish import dictionary as dictionary_module
from transforms.publish.dictionary import comment_marts, load_dictionary, problems
from transforms.publish.dictionary_page import render_page
from transforms.publish.snapshot import publish_snapshot
from transforms.warehouse.runner import build_models
from transforms.warehouse.scope import Scope

PAGE = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"


@pytest.fixture(scope="module")
def built():
    con = build_bi_warehouse()
    yield con
    con.close()


def comments(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, str | None]:
    """Return {"mart": comment, "mart.column": comment} for the marts of a catalogue."""
    tables = con.execute(
        "select table_name, comment from duckdb_tables()"
        " where database_name = ? and schema_name = 'marts'",
        [database],
    ).fetchall()
    columns = con.execute(
        "select table_name || '.' || column_name, comment from duckdb_columns()"
        " where database_name = ? and schema_name = 'marts'",
        [database],
    ).fetchall()
    return dict(tables + columns)


def expected_comments(snapshot: bool) -> dict[str, str]:
    out = {}
    for name, entry in load_dictionary().items():
        out[name] = entry.description
        out.update({f"{name}.{c}": m for c, m in entry.meanings(snapshot).items()})
    return out


def test_every_mart_and_mart_column_has_one_line_and_every_line_a_column(built, tmp_path):
    assert problems(built) == []
    snapshot = publish_snapshot(built, tmp_path / "ntm.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert problems(con, snapshot=True) == []
        # the text twins are the snapshot's: the working warehouse must not claim them
        assert problems(con, snapshot=False) == [
            "marts.commune_assessment.failed_conditions_text: no entry in the dictionary",
            "marts.commune_assessment.unknown_conditions_text: no entry in the dictionary",
        ]


def test_a_new_mart_column_without_a_line_fails():
    con = build_bi_warehouse()
    con.execute("alter table marts.district_summary add column villages_safe_total bigint")
    con.execute("create table marts.patrols as select 1 as year")
    assert problems(con) == [
        "marts.district_summary.villages_safe_total: no entry in the dictionary",
        "marts.patrols: no entry in the dictionary",
    ]
    con.close()


def test_a_line_for_a_column_or_mart_that_does_not_exist_fails(built):
    entries = load_dictionary()
    flags = entries["commune_flags"]
    entries["commune_flags"] = dataclasses.replace(
        flags, columns={**flags.columns, "severity": "How bad it is."}
    )
    entries["patrols"] = dataclasses.replace(flags, name="patrols")
    flawed = dataclasses.replace(entries["model_coverage"], description="two\nlines")
    entries["model_coverage"] = flawed
    assert problems(built, dictionary=entries) == [
        "marts.commune_flags.severity: in the dictionary, but no such column",
        "marts.model_coverage: the meaning must be one non-empty line",
        "marts.patrols: in the dictionary, but no such mart",
    ]


def test_a_build_writes_the_dictionary_into_the_warehouse_as_comments(built):
    database = built.execute("select current_database()").fetchone()[0]
    assert comments(built, database) == expected_comments(snapshot=False)
    # `create or replace` drops them; every full build writes them again
    build_models(built)
    assert comments(built, database) == expected_comments(snapshot=False)


def test_the_snapshot_carries_the_comments_published_whole_or_in_part(tmp_path, monkeypatch):
    con = build_bi_warehouse()
    target = tmp_path / "ntm.duckdb"
    publish_snapshot(con, target)
    con.execute(f"attach '{target}' as published (read_only)")
    assert comments(con, "published") == expected_comments(snapshot=True)
    con.execute("detach published")
    # an updated line reaches a snapshot brought up to date in place (scope only)
    changed = load_dictionary()
    flags = changed["commune_flags"]
    changed["commune_flags"] = dataclasses.replace(
        flags, columns={**flags.columns, "outcome": "fail or unknown."}
    )
    monkeypatch.setattr(dictionary_module, "load_dictionary", lambda: changed)
    scope = Scope.of([2023], ["14"])
    build_models(con, scope)
    publish_snapshot(con, target, scope)
    con.execute(f"attach '{target}' as published (read_only)")
    got = comments(con, "published")
    assert got["commune_flags.outcome"] == "fail or unknown."
    assert (
        got["commune_assessment.failed_conditions_text"]
        == (expected_comments(snapshot=True)["commune_assessment.failed_conditions_text"])
    )
    con.close()


def test_comments_are_quoted_whatever_the_text(built):
    entries = load_dictionary()
    flags = entries["commune_flags"]
    text = 'It\'s "quoted"; drop table marts.commune_flags; --'
    entries["commune_flags"] = dataclasses.replace(flags, columns={**flags.columns, "level": text})
    comment_marts(built, dictionary=entries)
    database = built.execute("select current_database()").fetchone()[0]
    assert comments(built, database)["commune_flags.level"] == text
    comment_marts(built)


def test_the_committed_dictionary_page_is_current():
    assert PAGE.read_text(encoding="utf-8") == render_page(), (
        "docs/data-dictionary.md is stale: run `make dictionary`"
    )
