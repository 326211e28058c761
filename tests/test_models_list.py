"""sql/models.txt states how every model is built; the runner follows it and refuses a
line it cannot read."""

from __future__ import annotations

import pytest

from tests.warehouse_fixtures import Inputs, warehouse
from transforms.warehouse import runner
from transforms.warehouse.duck import column_names

KEY_COLUMNS = {"year": "year", "province": "province_code"}


def test_every_model_is_built_as_models_txt_states_with_the_columns_its_keys_name():
    con = warehouse(Inputs())
    for model in runner.models():
        schema, name = model.relation.split(".")
        kind = con.execute(
            "select table_type from information_schema.tables"
            " where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
        assert kind == [("VIEW" if model.materialised == "view" else "BASE TABLE",)], model
        columns = column_names(con, schema)[name]
        assert {KEY_COLUMNS[k] for k in model.keys} <= set(columns), model


def test_the_staging_models_are_views_and_the_marts_tables_rebuilt_by_year():
    states = {m.relation: m for m in runner.models()}
    assert all(m.materialised == "view" for r, m in states.items() if r.startswith("staging."))
    assert states["marts.commune_assessment"].keys == ("year", "province")
    assert states["marts.national_summary"].keys == ("year",)  # its rows carry no province


def test_a_line_the_runner_cannot_read_is_refused_with_its_number(monkeypatch):
    listing = "staging/stg_submissions.sql view\nmarts/x.sql table year, district\n"
    monkeypatch.setattr(runner, "_read", lambda path: listing)
    runner.models.cache_clear()
    try:
        with pytest.raises(ValueError, match="line 2"):
            runner.models()
    finally:
        runner.models.cache_clear()


def test_every_model_file_is_listed_once():
    listed = [m.path for m in runner.models()]
    folder = runner._SQL
    files = sorted(
        f"{layer}/{p.name}"
        for layer in ("staging", "intermediate", "marts")
        for p in folder.joinpath(layer).iterdir()
        if p.name.endswith(".sql")
    )
    assert sorted(listed) == files and len(set(listed)) == len(listed)
