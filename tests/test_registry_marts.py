"""The marts across registry versions (registry.md), from the shipped registry data: each
district's communes of its submission's version, districts that existed then, C5, A1 and the
5% rule compared through predecessors, and the successions a province adds."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests import predecessors_oracle as oracle
from tests.warehouse_fixtures import Inputs, commune, communes_of, rows, warehouse
from transforms.reference import successions as succ
from transforms.reference.versions import load_versions
from transforms.warehouse import connection
from transforms.warehouse.connection import connect, reference_fingerprint

HAU_LOC = "400"  # Thanh Hóa: 23 communes in 2021-02 and 2023-05, 22 in 2025-01
DONG_SON = "405"  # Thanh Hóa: merged into Thanh Hóa city in 2025
# 16039 Tuy Lộc and 16042 Phong Lộc of 2023-05 became 16042 Tuy Lộc of 2025-01
TUY_LOC, PHONG_LOC = "16039", "16042"


def submit_all(given: Inputs, district: str, year: int, version: str, **values) -> int:
    codes = communes_of(district, version)
    return given.submit(
        district,
        year,
        [commune(c, registry_version=version, **values) for c in codes],
        registry_version=version,
    )


def district_row(con: duckdb.DuckDBPyConnection, district: str, year: int) -> dict:
    [row] = rows(
        con,
        "select * from marts.district_summary where district_code = ? and year = ?",
        [district, year],
    )
    return row


def c5(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict:
    [row] = rows(
        con,
        "select c5_crime_contained, a1_crime_reduced, previous_social_order_crimes,"
        " registry_version from marts.commune_assessment where commune_code = ? and year = ?",
        [code, year],
    )
    return row


def flags(con: duckdb.DuckDBPyConnection, code: str, year: int) -> dict[str, dict]:
    found = rows(
        con,
        "select * from marts.commune_flags where commune_code = ? and year = ?",
        [code, year],
    )
    return {f["condition"]: f for f in found}


def with_successions(monkeypatch, text: str, tmp_path: Path) -> None:
    path = tmp_path / "commune_successions.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(connection, "load_successions", lambda: succ.load_successions(path))


def test_hau_loc_2021_follows_2021_02_with_23_communes_expected():
    given = Inputs()
    submit_all(given, HAU_LOC, 2021, "2021-02")
    con = warehouse(given)
    row = district_row(con, HAU_LOC, 2021)
    assert row["communes_expected"] == 23 and row["communes_reported"] == 23
    assert row["registry_version"] == "2021-02"
    codes = rows(
        con,
        "select commune_code, registry_version from marts.commune_assessment"
        " where district_code = ? and year = 2021",
        [HAU_LOC],
    )
    assert len(codes) == 23 and TUY_LOC in {r["commune_code"] for r in codes}
    assert {r["registry_version"] for r in codes} == {"2021-02"}


def test_hau_loc_2024_follows_2025_01_with_22_communes_expected():
    given = Inputs()
    submit_all(given, HAU_LOC, 2024, "2025-01")
    con = warehouse(given)
    row = district_row(con, HAU_LOC, 2024)
    assert (row["communes_expected"], row["registry_version"]) == (22, "2025-01")


def test_a_district_gone_in_2025_appears_in_the_2021_marts():
    given = Inputs()
    submit_all(given, HAU_LOC, 2021, "2021-02")
    submit_all(given, HAU_LOC, 2025, "2025-01")
    con = warehouse(given)
    row = district_row(con, DONG_SON, 2021)
    assert row["submission_status"] == "missing" and row["registry_version"] == "2021-02"
    assert row["communes_expected"] > 0 and row["communes_not_reported"] == row["communes_expected"]
    # Thanh Hóa's districts for 2025 are those of 2025-01: Đông Sơn is gone
    assert not rows(
        con,
        "select 1 from marts.district_summary where district_code = ? and year = 2025",
        [DONG_SON],
    )
    provinces = rows(
        con,
        "select year, districts_expected from marts.province_summary where province_code = '38'",
    )
    by_year = {r["year"]: r["districts_expected"] for r in provinces}
    assert by_year[2021] == by_year[2025] + 1  # Đông Sơn merged into Thanh Hóa city


def test_a_district_submitting_against_an_older_version_is_in_the_years_marts():
    given = Inputs()
    submit_all(given, HAU_LOC, 2024, "2025-01")
    submit_all(given, DONG_SON, 2024, "2023-05")  # 2023-05 is a candidate for 2024
    con = warehouse(given)
    row = district_row(con, DONG_SON, 2024)
    assert row["registry_version"] == "2023-05" and row["communes_reported"] > 0
    # a commune appears at most once a year
    dupes = rows(
        con,
        "select commune_code from marts.commune_assessment where year = 2024"
        " group by commune_code having count(*) > 1",
    )
    assert dupes == []


def test_a_commune_that_kept_its_code_under_a_new_name_gets_c5_unknown_with_a_flag():
    given = Inputs()
    submit_all(given, HAU_LOC, 2023, "2023-05", social_order_crimes=2)
    submit_all(given, HAU_LOC, 2024, "2025-01", social_order_crimes=1)
    con = warehouse(given)
    assert c5(con, PHONG_LOC, 2024)["c5_crime_contained"] == "unknown"
    assert c5(con, PHONG_LOC, 2024)["a1_crime_reduced"] == "unknown"
    flag = flags(con, PHONG_LOC, 2024)["C5_crime_contained"]
    assert flag["outcome"] == "unknown"
    assert "changed between registry versions 2023-05 (2023) and 2025-01 (2024)" in flag["message"]
    assert "no succession is known" in flag["observed"]
    assert "A1_crime_reduced" in flags(con, PHONG_LOC, 2024)
    # a commune with the same code and name in both versions is compared as before
    same = next(c for c in communes_of(HAU_LOC, "2025-01") if c != PHONG_LOC)
    assert c5(con, same, 2024)["c5_crime_contained"] == "pass"


def test_a_whole_succession_compares_with_the_sum_of_its_predecessors(monkeypatch, tmp_path):
    with_successions(
        monkeypatch,
        "from_version,from_code,to_version,to_code,whole\n"
        f"2023-05,{TUY_LOC},2025-01,{PHONG_LOC},true\n"
        f"2023-05,{PHONG_LOC},2025-01,{PHONG_LOC},true\n",
        tmp_path,
    )
    given = Inputs()
    submit_all(given, HAU_LOC, 2023, "2023-05", social_order_crimes=2)
    submit_all(given, HAU_LOC, 2024, "2025-01", social_order_crimes=4)
    con = warehouse(given)
    merged = c5(con, PHONG_LOC, 2024)
    assert merged["previous_social_order_crimes"] == 4  # 2 + 2
    assert merged["c5_crime_contained"] == "pass" and merged["a1_crime_reduced"] == "fail"
    assert rows(con, "select count(*) as n from ref.commune_successions") == [{"n": 2}]


def test_a_part_line_keeps_the_comparison_unknown(monkeypatch, tmp_path):
    with_successions(
        monkeypatch,
        "from_version,from_code,to_version,to_code,whole\n"
        f"2023-05,{TUY_LOC},2025-01,{PHONG_LOC},false\n"
        f"2023-05,{PHONG_LOC},2025-01,{PHONG_LOC},true\n",
        tmp_path,
    )
    given = Inputs()
    submit_all(given, HAU_LOC, 2023, "2023-05")
    submit_all(given, HAU_LOC, 2024, "2025-01")
    con = warehouse(given)
    assert c5(con, PHONG_LOC, 2024)["c5_crime_contained"] == "unknown"
    assert "only part" in flags(con, PHONG_LOC, 2024)["C5_crime_contained"]["message"]


def test_the_5_percent_rule_sums_only_the_communes_with_a_2019_comparison():
    given = Inputs()
    submit_all(given, HAU_LOC, 2019, "2020-02", social_order_crimes=10)
    codes = communes_of(HAU_LOC, "2025-01")
    given.submit(
        HAU_LOC,
        2024,
        [
            commune(
                c,
                registry_version="2025-01",
                social_order_crimes=100 if c == PHONG_LOC else 9,
            )
            for c in codes
        ],
        registry_version="2025-01",
    )
    con = warehouse(given)
    comparable = [
        r["commune_code"]
        for r in rows(
            con,
            "select commune_code from ref.commune_predecessors where registry_version ="
            " '2025-01' and previous_version = '2020-02' and previous_code = commune_code",
        )
        if r["commune_code"] in codes
    ]
    assert PHONG_LOC not in comparable and 0 < len(comparable) < len(codes)
    row = district_row(con, HAU_LOC, 2024)
    assert row["communes_like_for_like"] == len(comparable)
    assert row["social_order_crimes_like_for_like"] == 9 * len(comparable)
    assert row["social_order_crimes_2019"] == 10 * len(comparable)
    assert row["crime_reduction_vs_2019"] == "pass"  # with 16042's 100 it would fail


def test_the_5_percent_rule_is_unknown_when_no_commune_has_a_2019_comparison():
    given = Inputs()
    submit_all(given, DONG_SON, 2019, "2020-02")
    given.submit(
        HAU_LOC, 2024, [commune(PHONG_LOC, registry_version="2025-01")], registry_version="2025-01"
    )
    con = warehouse(given)
    assert district_row(con, HAU_LOC, 2024)["crime_reduction_vs_2019"] == "unknown"


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("2019-01,16039,2025-01,16042,true", "from_version '2019-01' is no registry version"),
        ("2023-05,99999,2025-01,16042,true", "from_code '99999' is no commune of the 2023-05"),
        ("2023-05,16039,2025-01,16039,true", "to_code '16039' is no commune of the 2025-01"),
        ("2023-05,16039,2025-01,16042,maybe", "whole is 'maybe'"),
        ("2021-02,16039,2025-01,16042,true", "from a version to the next one"),
        ("2023-05,16039,2025-01,16027,false", "leads to 16027 here and to 16042 on line 2"),
    ],
)
def test_a_bad_successions_file_is_refused_with_file_and_line_and_nothing_changes(
    monkeypatch, tmp_path, line, complaint
):
    con = connect(":memory:")
    before = reference_fingerprint(con)
    with_successions(
        monkeypatch,
        f"from_version,from_code,to_version,to_code,whole\n2023-05,16039,2025-01,16042,true\n{line}\n",
        tmp_path,
    )
    with pytest.raises(succ.SuccessionsError) as raised:
        connection.refresh_reference(con)
    message = str(raised.value)
    assert f"{tmp_path / 'commune_successions.csv'}, line 3" in message and complaint in message
    assert reference_fingerprint(con) == before
    assert rows(con, "select count(*) as n from ref.commune_successions") == [{"n": 0}]


def test_changing_the_successions_changes_the_fingerprint_and_so_rebuilds(monkeypatch, tmp_path):
    con = connect(":memory:")
    before = reference_fingerprint(con)
    with_successions(
        monkeypatch,
        "from_version,from_code,to_version,to_code,whole\n2023-05,16039,2025-01,16042,true\n",
        tmp_path,
    )
    assert connection.refresh_reference(con) is True
    assert reference_fingerprint(con) != before
    assert connection.refresh_reference(con) is False


def test_the_shipped_successions_file_loads_and_is_empty():
    assert succ.load_successions() == ()


WAREHOUSE_MD = {
    "ref.provinces": "province_code province_name",
    "ref.districts": "district_code district_name province_code",
    "ref.communes": "commune_code commune_name district_code province_code",
    "ref.registry_versions": "registry_version in_force_from source",
    "ref.provinces_by_version": "registry_version province_code province_name",
    "ref.districts_by_version": "registry_version district_code district_name province_code",
    "ref.communes_by_version": (
        "registry_version commune_code commune_name district_code province_code"
    ),
    "ref.commune_successions": "from_version from_code to_version to_code whole",
    "ops.submissions": (
        "submission_id file_name sha256 received_at run_id province_code district_code year"
        " status error_count warning_count registry_version"
    ),
    "ops.validation_issues": (
        "submission_id severity sheet row column_name value rule message message_vi"
    ),
    "ops.runs": (
        "run_id flow started_at finished_at status files_seen files_accepted files_rejected"
    ),
    "marts.commune_assessment": (
        "year province_code district_code commune_code commune_name status meets_19_2"
        " meets_19_2_advanced failed_conditions unknown_conditions social_order_crimes"
        " submission_id ruleset registry_version"
    ),
    "marts.commune_flags": (
        "year province_code district_code commune_code level condition outcome observed"
        " threshold message"
    ),
    "marts.district_summary": (
        "year province_code district_code communes_expected social_order_crimes"
        " social_order_crimes_2019 communes_reported communes_meeting communes_meeting_advanced"
        " communes_falling_short communes_not_assessable pct_meeting crime_reduction_vs_2019"
        " submission_status registry_version"
    ),
    "marts.province_summary": "year province_code",
    "marts.national_summary": "year provinces_in_scope",
    "marts.model_coverage": "level unit_code year model_type",
}


def test_every_relation_and_column_of_warehouse_md_exists():
    given = Inputs()
    submit_all(given, HAU_LOC, 2021, "2021-02")
    con = warehouse(given)
    for relation, columns in WAREHOUSE_MD.items():
        schema, table = relation.split(".")
        found = {
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        }
        assert set(columns.split()) <= found, (relation, set(columns.split()) - found)
    counts = rows(
        con,
        "select registry_version, count(*) as n from ref.communes_by_version group by all"
        " order by registry_version",
    )
    assert [r["n"] for r in counts] == [10767, 10603, 10598, 10051]
    assert rows(con, "select count(*) as n from ref.communes") == [{"n": 10051}]


def predecessors_loaded(monkeypatch, lines: tuple[succ.Succession, ...]) -> pd.DataFrame:
    """Return ref.commune_predecessors of a new warehouse loaded with these lines."""
    monkeypatch.setattr(connection, "load_successions", lambda: lines)
    con = connect(":memory:")
    frame = con.execute(
        "select registry_version, commune_code, previous_version, previous_code, whole"
        " from ref.commune_predecessors"
    ).df()
    con.close()
    return frame


def test_successions_compose_along_the_chain_of_versions(monkeypatch):
    lines = (
        succ.Succession("2023-05", TUY_LOC, "2025-01", PHONG_LOC, True),
        succ.Succession("2023-05", PHONG_LOC, "2025-01", PHONG_LOC, False),
    )
    frame = predecessors_loaded(monkeypatch, lines)
    mine = frame[(frame.registry_version == "2025-01") & (frame.commune_code == PHONG_LOC)]
    by_version = {
        v: sorted(zip(g.previous_code, g.whole, strict=True))
        for v, g in mine.groupby("previous_version")
    }
    # 16039 and 16042 kept code and name from 2020-02 to 2023-05: the lines reach back
    assert by_version["2021-02"] == [(TUY_LOC, True), (PHONG_LOC, False)]
    assert by_version["2020-02"] == by_version["2021-02"]
    assert by_version["2025-01"] == [(PHONG_LOC, True)]
    # without a line, a commune renamed under its code has no known predecessor
    bare = predecessors_loaded(monkeypatch, ())
    row = bare[
        (bare.registry_version == "2025-01")
        & (bare.commune_code == PHONG_LOC)
        & (bare.previous_version == "2023-05")
    ]
    assert row.previous_code.isna().all() and len(row) == 1


def random_lines(seed: int, count: int) -> tuple[succ.Succession, ...]:
    """Return succession lines between consecutive versions as a province could write them:
    a commune went whole to one, or in parts to two; several may lead into one commune."""
    rng = random.Random(seed)
    versions = load_versions()
    order = list(versions)
    lines, seen = [], set()
    while len(lines) < count:
        i = rng.randrange(1, len(order))
        older, newer = order[i - 1], order[i]
        source = rng.choice(list(versions[older].registry.commune_by_code))
        if (older, source) in seen:
            continue
        seen.add((older, source))
        communes = list(versions[newer].registry.commune_by_code)
        if rng.random() < 0.3:  # split in two parts
            for target in rng.sample(communes, 2):
                lines.append(succ.Succession(older, source, newer, target, False))
        else:
            target = rng.choice(communes)
            lines.append(succ.Succession(older, source, newer, target, rng.random() < 0.7))
    return tuple(lines)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype(object).where(frame.notna(), None)
    out["whole"] = out["whole"].astype(bool)
    key = list(oracle.COLUMNS)
    return out[key].sort_values(key, key=lambda c: c.astype(str)).reset_index(drop=True)


@pytest.mark.parametrize("lines", [(), random_lines(1, 300), random_lines(2, 1500)])
def test_the_predecessors_derived_in_sql_are_those_of_the_rule_written_in_python(
    monkeypatch, lines
):
    # every commune of every version, against every version: 168,000 rows and more
    derived = _sorted(predecessors_loaded(monkeypatch, lines))
    expected = _sorted(oracle.predecessors(lines))
    assert len(derived) >= 168_076
    pd.testing.assert_frame_equal(derived, expected)


def test_after_a_bad_successions_file_the_lines_loaded_before_stay_in_force(monkeypatch, tmp_path):
    header = "from_version,from_code,to_version,to_code,whole\n"
    with_successions(
        monkeypatch, header + f"2023-05,{TUY_LOC},2025-01,{PHONG_LOC},true\n", tmp_path
    )
    con = connect(":memory:")
    loaded = reference_fingerprint(con)
    with_successions(
        monkeypatch, header + f"2023-05,{TUY_LOC},2025-01,{PHONG_LOC},part-ly\n", tmp_path
    )
    with pytest.raises(succ.SuccessionsError, match="line 2: whole is 'part-ly'"):
        connection.refresh_reference(con)
    assert reference_fingerprint(con) == loaded
    assert con.execute("select from_code, whole from ref.commune_successions").fetchall() == [
        (TUY_LOC, True)
    ]
