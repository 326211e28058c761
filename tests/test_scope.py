"""Which years and provinces a change reaches (the incremental rebuild's contract)."""

from __future__ import annotations

import duckdb

from transforms.warehouse.scope import Scope, affected_scope

PROVINCE_OF = {"119": "14", "120": "14", "584": "58"}


def test_a_district_change_reaches_its_province_in_that_year_and_the_next():
    scope = affected_scope({("119", 2022)}, PROVINCE_OF, 2019, 2025)
    assert scope == Scope((2022, 2023), ("14",))


def test_a_baseline_change_reaches_every_year_of_its_province():
    scope = affected_scope({("584", 2019), ("120", 2025)}, PROVINCE_OF, 2019, 2025)
    assert scope == Scope(tuple(range(2019, 2026)), ("14", "58"))


def test_a_district_the_registry_does_not_know_widens_the_scope_to_every_province():
    assert affected_scope({("999", 2023)}, PROVINCE_OF, 2019, 2025).provinces is None


def test_a_union_of_scopes_covers_both_and_every_province_wins():
    a, b = Scope.of([2023, 2024], ["14"]), Scope.of([2019], ["58"])
    assert a.union(b) == Scope((2019, 2023, 2024), ("14", "58"))
    assert a.union(Scope.of([2020])) == Scope((2020, 2023, 2024), None)
    assert not Scope(())
    assert Scope(()).union(a) == a == a.union(Scope(()))


def test_the_filter_selects_the_scope_rows_and_every_national_row_of_its_years():
    con = duckdb.connect()
    con.execute(
        "create table t as from (values (2023, '14'), (2023, '58'), (2023, null),"
        " (2022, '14'), (2022, null)) v(year, province_code)"
    )
    scope = Scope.of([2023], ["14"])
    rows, params = scope.sql_condition(True), scope.sql_parameters(True)
    selected = con.execute(f"from t where {rows} order by all", params).fetchall()
    assert selected == [(2023, "14"), (2023, None)]
    every_province = Scope.of([2022])
    rows, params = every_province.sql_condition(True), every_province.sql_parameters(True)
    assert con.execute(f"select count(*) from t where {rows}", params).fetchall() == [(2,)]
    rows, params = scope.sql_condition(False), scope.sql_parameters(False)
    assert con.execute(f"select count(*) from t where {rows}", params).fetchall() == [(3,)]
