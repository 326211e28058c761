"""Invariants of the marts on real pipeline output: the demo data of one province, loaded."""

from __future__ import annotations

import duckdb
import pytest

from ntm.settings import Settings
from transforms import pipeline
from transforms.demo.generate import generate_demo
from transforms.warehouse.runner import build_models

MART_KEYS = {
    "commune_assessment": ["year", "commune_code"],
    "commune_flags": ["year", "commune_code", "condition"],
    "district_summary": ["year", "district_code"],
    "province_summary": ["year", "province_code"],
    "national_summary": ["year"],
    "model_coverage": ["level", "unit_code", "year", "model_type"],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-home")
    settings = Settings(home=home, settle_seconds=0).ensure()
    generate_demo(settings.inbox, province_codes=("58", "26"), years=range(2019, 2026))
    summary = pipeline.run_once(settings, "demo-run")
    assert summary.count("rejected") == 0
    con = duckdb.connect(str(settings.published), read_only=True)
    yield con
    con.close()


def one(con, sql):
    return con.execute(sql).fetchall()


@pytest.mark.parametrize(("mart", "keys"), MART_KEYS.items())
def test_mart_keys_are_unique_and_not_null(warehouse, mart, keys):
    cols = ", ".join(keys)
    nulls = " or ".join(f"{k} is null" for k in keys)
    assert one(warehouse, f"select count(*) from marts.{mart} where {nulls}") == [(0,)]
    dupes = one(
        warehouse,
        f"select count(*) from (select {cols} from marts.{mart} group by all having count(*) > 1)",
    )
    assert dupes == [(0,)]


def test_every_registry_commune_of_the_provinces_is_assessed_each_year(warehouse):
    rows = one(
        warehouse,
        "select year, count(*) from marts.commune_assessment group by year order by year",
    )
    expected = one(
        warehouse, "select count(*) from ref.communes where province_code in ('58', '26')"
    )[0][0]
    assert rows == [(y, expected) for y in range(2019, 2026)]


def test_commune_counts_add_up_to_district_rows(warehouse):
    mismatches = one(
        warehouse,
        """
        select count(*) from marts.district_summary as d
        join (
            select year, district_code,
                   count(*) as expected,
                   count(*) filter (where status = 'meets') as meeting,
                   count(*) filter (where status = 'falls_short') as short,
                   count(*) filter (where status = 'not_reported') as not_reported,
                   count(*) filter (where meets_19_2_advanced) as advanced
            from marts.commune_assessment group by all
        ) as c using (year, district_code)
        where d.communes_expected <> c.expected or d.communes_meeting <> c.meeting
           or d.communes_falling_short <> c.short or d.communes_not_reported <> c.not_reported
           or d.communes_meeting_advanced <> c.advanced
        """,
    )
    assert mismatches == [(0,)]


def test_districts_add_up_to_provinces_and_provinces_to_the_nation(warehouse):
    measures = [
        "communes_expected",
        "communes_meeting",
        "communes_meeting_advanced",
        "communes_falling_short",
        "communes_not_reported",
        "security_teams",
    ]
    sums = ", ".join(f"sum({m}) as {m}" for m in measures)
    cols = ", ".join(measures)
    from_districts = one(
        warehouse,
        f"select year, province_code, {sums} from marts.district_summary group by all order by all",
    )
    provinces = one(
        warehouse, f"select year, province_code, {cols} from marts.province_summary order by all"
    )
    assert from_districts == provinces
    from_provinces = one(
        warehouse, f"select year, {sums} from marts.province_summary group by all order by all"
    )
    nation = one(warehouse, f"select year, {cols} from marts.national_summary order by all")
    assert from_provinces == nation


def test_rebuilding_the_marts_twice_gives_identical_tables(tmp_path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    generate_demo(settings.inbox, province_codes=("58",), years=range(2019, 2022))
    pipeline.run_once(settings, "first")
    with duckdb.connect(str(settings.warehouse)) as wh:
        before = {m: wh.execute(f"from marts.{m} order by all").fetchall() for m in MART_KEYS}
        build_models(wh)
        after = {m: wh.execute(f"from marts.{m} order by all").fetchall() for m in MART_KEYS}
    assert before == after
