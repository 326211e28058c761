"""Given tiny submissions, the SQL models build the marts the spec describes."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.warehouse_fixtures import (
    Inputs,
    commune,
    commune_name,
    communes_of,
    hcm,
    rows,
    warehouse,
)
from transforms.warehouse.runner import build_models

RULESET = "19.2/2021-2025/v1"
YEAR = 2023

# Sơn La (14), Thuận Châu (119): each of its 29 registry communes plays one part in 2023.
THUAN_CHAU = communes_of("119")
PARTS = [
    "model",
    "no_plan",
    "security_incident",
    "mass_complaint",
    "serious_crime_solved",
    "serious_crime_unsolved",
    "crime_rose",
    "new_commune",
    "villages_60",
    "villages_70",
    "police_completed",
    "police_disciplined",
    "no_models",
    "idle_models",
    "crime_flat",
    "crime_zero",
    "no_camera",
    "camera_only",
    "movement_average",
    "omitted",
    "no_villages",
    "villages_90",
    "new_and_weak_movement",
    "several_failures",
    "plain_1",
    "plain_2",
    "plain_3",
    "plain_4",
    "crime_spike",
]
CODE = dict(zip(PARTS, THUAN_CHAU, strict=True))

OVERRIDES_2023: dict[str, dict] = {
    "no_plan": {"commune_plan": False},
    "security_incident": {"security_incidents": 1},
    "mass_complaint": {"mass_complaints": 2},
    "serious_crime_solved": {"serious_crimes": 1, "serious_crimes_solved": 1},
    "serious_crime_unsolved": {"serious_crimes": 2, "serious_crimes_solved": 1},
    "crime_rose": {"social_order_crimes": 5},
    "villages_60": {"villages_safe": 6},
    "villages_70": {"villages_safe": 7},
    "police_completed": {"police_rating": "completed"},
    "police_disciplined": {"police_disciplined": 1},
    "no_models": {"models": ()},
    "idle_models": {"models": (("security_camera", False), ("four_safety", False))},
    "crime_flat": {"social_order_crimes": 3},
    "crime_zero": {"social_order_crimes": 0},
    "no_camera": {"models": (("five_self_management", True), ("four_safety", True))},
    "camera_only": {"models": (("security_camera", True),)},
    "movement_average": {"movement_rating": "average"},
    "no_villages": {"villages_total": 0, "villages_safe": 0},
    "villages_90": {"villages_safe": 9},
    "new_and_weak_movement": {"movement_rating": "weak"},
    "several_failures": {"security_incidents": 1, "villages_safe": 5, "movement_rating": "average"},
    "crime_spike": {"social_order_crimes": 200},
}
NOT_IN_2022 = {"new_commune", "new_and_weak_movement"}
IN_2019 = PARTS[:10]


def scenario() -> Inputs:
    """Return the shared inputs: Sơn La and Hải Phòng report for 2019, 2022 and 2023."""
    given = Inputs()
    # 2019 baseline: ten Thuận Châu communes with 10 crimes each (100 in all)
    given.submit("119", 2019, [commune(CODE[p], social_order_crimes=10) for p in IN_2019])
    # 2022: every commune but two; 3 crimes each (0 for crime_zero), one social evil case
    given.submit(
        "119",
        2022,
        [
            commune(CODE[p], social_order_crimes=0 if p == "crime_zero" else 3)
            for p in PARTS
            if p not in NOT_IN_2022
        ],
    )
    # 2023: first an on-time file that is later superseded (it lists every commune, badly)
    given.submit(
        "119",
        YEAR,
        [commune(code, security_incidents=5) for code in THUAN_CHAU],
        status="superseded",
        received_at=hcm(2024, 1, 15, 23, 30),
    )
    given.submit(
        "119",
        YEAR,
        [commune(CODE[p], **OVERRIDES_2023.get(p, {})) for p in PARTS if p != "omitted"],
        received_at=hcm(2024, 3, 1),
    )
    # Mường La: accepted half an hour after the deadline
    given.submit(
        "120",
        YEAR,
        [commune(c) for c in communes_of("120")[:2]],
        received_at=hcm(2024, 1, 16, 0, 30),
    )
    # Phù Yên: accepted half an hour before the deadline
    given.submit(
        "122", YEAR, [commune(communes_of("122")[0])], received_at=hcm(2024, 1, 15, 23, 30)
    )
    # Bắc Yên: only a rejected file (and its duplicate)
    given.submit("121", YEAR, [commune(communes_of("121")[0])], status="rejected")
    given.submit("121", YEAR, [commune(communes_of("121")[0])], status="duplicate")
    # Mộc Châu: a file accepted, then withdrawn
    given.submit("123", YEAR, [commune(communes_of("123")[0])], status="withdrawn")
    # Yên Châu: crime unchanged since 2019 (20 -> 20); Mai Sơn: cut by exactly 5% (20 -> 19)
    yen_chau, mai_son = communes_of("124")[0], communes_of("125")[0]
    given.submit("124", 2019, [commune(yen_chau, social_order_crimes=20)])
    given.submit("124", YEAR, [commune(yen_chau, social_order_crimes=20)])
    given.submit("125", 2019, [commune(mai_son, social_order_crimes=20)])
    given.submit("125", YEAR, [commune(mai_son, social_order_crimes=19)])
    # Hải Phòng: the island district Bạch Long Vĩ has no registry communes, an empty sheet
    given.submit("318", YEAR)
    # Vĩnh Phúc: only a rejected file, so the province stays out of scope
    given.submit("246", YEAR, [commune(communes_of("246")[0])], status="rejected")
    return given


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return warehouse(scenario())


def assessed(con: duckdb.DuckDBPyConnection, part: str, year: int = YEAR) -> dict:
    [row] = rows(
        con,
        "select * from marts.commune_assessment where commune_code = ? and year = ?",
        [CODE[part], year],
    )
    return row


def district(con: duckdb.DuckDBPyConnection, code: str, year: int = YEAR) -> dict:
    [row] = rows(
        con,
        "select * from marts.district_summary where district_code = ? and year = ?",
        [code, year],
    )
    return row


def flags(con: duckdb.DuckDBPyConnection, part: str) -> dict[str, dict]:
    found = rows(
        con,
        "select * from marts.commune_flags where commune_code = ? and year = ?",
        [CODE[part], YEAR],
    )
    return {f["condition"]: f for f in found}


# --- conditions and status -------------------------------------------------------------


def test_commune_passing_everything_meets_both_levels(con):
    row = assessed(con, "model")
    assert row["status"] == "meets"
    assert (row["meets_19_2"], row["meets_19_2_advanced"]) == (True, True)
    assert row["failed_conditions"] == [] and row["unknown_conditions"] == []
    outcomes = [
        row[c]
        for c in (
            "c1_governance",
            "c2_no_security_incidents",
            "c3_no_mass_complaints",
            "c4_no_serious_crime",
            "c5_crime_contained",
            "c6_safe_villages",
            "c7_commune_police",
            "c8_typical_model",
            "a1_crime_reduced",
            "a2_safe_villages_90",
            "a3_camera_and_two_models",
            "a4_movement_fair",
        )
    ]
    assert outcomes == ["pass"] * 12
    assert row["effective_models"] == 2
    assert row["ruleset"] == RULESET


@pytest.mark.parametrize(
    ("part", "failed", "status"),
    [
        ("no_plan", ["C1_governance"], "falls_short"),
        ("security_incident", ["C2_no_security_incidents"], "falls_short"),
        ("mass_complaint", ["C3_no_mass_complaints"], "falls_short"),
        ("serious_crime_solved", ["C4_no_serious_crime"], "falls_short"),
        ("crime_rose", ["C5_crime_contained", "A1_crime_reduced"], "falls_short"),
        ("crime_spike", ["C5_crime_contained", "A1_crime_reduced"], "falls_short"),
        ("villages_60", ["C6_safe_villages", "A2_safe_villages_90"], "falls_short"),
        ("police_completed", ["C7_commune_police"], "falls_short"),
        ("police_disciplined", ["C7_commune_police"], "falls_short"),
        ("no_models", ["C8_typical_model", "A3_camera_and_two_models"], "falls_short"),
        ("idle_models", ["C8_typical_model", "A3_camera_and_two_models"], "falls_short"),
        ("crime_flat", ["A1_crime_reduced"], "meets"),
        ("villages_70", ["A2_safe_villages_90"], "meets"),
        ("no_camera", ["A3_camera_and_two_models"], "meets"),
        ("camera_only", ["A3_camera_and_two_models"], "meets"),
        ("movement_average", ["A4_movement_fair"], "meets"),
        (
            "several_failures",
            [
                "C2_no_security_incidents",
                "C6_safe_villages",
                "A2_safe_villages_90",
                "A4_movement_fair",
            ],
            "falls_short",
        ),
    ],
)
def test_commune_fails_exactly_the_conditions_its_data_breaks_in_code_order(
    con, part, failed, status
):
    row = assessed(con, part)
    assert row["failed_conditions"] == failed
    assert row["unknown_conditions"] == []
    assert row["status"] == status


@pytest.mark.parametrize(
    ("part", "condition", "column"),
    [
        ("villages_70", "C6 at exactly 70%", "c6_safe_villages"),
        ("villages_90", "A2 at exactly 90%", "a2_safe_villages_90"),
        ("crime_flat", "C5 with crime equal to last year", "c5_crime_contained"),
        ("crime_zero", "A1 with no crime in either year", "a1_crime_reduced"),
        ("camera_only", "C8 with one effective model", "c8_typical_model"),
    ],
)
def test_condition_passes_on_its_boundary(con, part, condition, column):
    assert assessed(con, part)[column] == "pass", condition


def test_commune_without_previous_year_data_is_not_assessable_with_c5_and_a1_unknown(con):
    row = assessed(con, "new_commune")
    assert row["status"] == "not_assessable"
    assert row["unknown_conditions"] == ["C5_crime_contained", "A1_crime_reduced"]
    assert row["failed_conditions"] == []
    assert (row["meets_19_2"], row["meets_19_2_advanced"]) == (None, None)
    assert row["previous_social_order_crimes"] is None


def test_commune_with_zero_villages_leaves_c6_and_a2_unknown(con):
    row = assessed(con, "no_villages")
    assert row["status"] == "not_assessable"
    assert row["unknown_conditions"] == ["C6_safe_villages", "A2_safe_villages_90"]


def test_solved_policy_passes_serious_crimes_that_were_all_solved():
    given = Inputs()
    solved, unsolved = THUAN_CHAU[:2]
    given.submit("119", 2022, [commune(c, social_order_crimes=3) for c in (solved, unsolved)])
    given.submit(
        "119",
        YEAR,
        [
            commune(solved, serious_crimes=1, serious_crimes_solved=1),
            commune(unsolved, serious_crimes=2, serious_crimes_solved=1),
        ],
    )
    con = warehouse(given, build=False)
    con.execute("update ref.rulesets set serious_crime_policy = 'solved'")
    build_models(con)
    found = rows(
        con,
        "select commune_code, status, failed_conditions from marts.commune_assessment"
        " where year = ? and commune_code in (?, ?) order by commune_code",
        [YEAR, solved, unsolved],
    )
    assert found == [
        {"commune_code": solved, "status": "meets", "failed_conditions": []},
        {
            "commune_code": unsolved,
            "status": "falls_short",
            "failed_conditions": ["C4_no_serious_crime"],
        },
    ]
    [flag] = rows(
        con,
        "select observed, threshold from marts.commune_flags where commune_code = ? and year = ?",
        [unsolved, YEAR],
    )
    assert flag == {
        "observed": "serious_crimes=2, serious_crimes_solved=1",
        "threshold": "serious_crimes_solved = serious_crimes",
    }


def test_thresholds_come_from_the_ruleset_row():
    given = Inputs()
    code = THUAN_CHAU[0]
    given.submit("119", 2022, [commune(code, social_order_crimes=3)])
    given.submit("119", YEAR, [commune(code, villages_safe=6)])
    con = warehouse(given, build=False)
    con.execute("update ref.rulesets set min_safe_village_share = 0.6")
    build_models(con)
    [row] = rows(
        con,
        "select status, c6_safe_villages from marts.commune_assessment"
        " where year = ? and commune_code = ?",
        [YEAR, code],
    )
    assert row == {"status": "meets", "c6_safe_villages": "pass"}


@pytest.mark.parametrize(
    ("part", "status", "meets", "meets_advanced"),
    [
        ("model", "meets", True, True),
        ("crime_flat", "meets", True, False),
        ("no_plan", "falls_short", False, False),
        ("new_commune", "not_assessable", None, None),
        ("new_and_weak_movement", "not_assessable", None, False),
        ("omitted", "not_reported", False, False),
    ],
)
def test_meets_flags_follow_the_truth_table(con, part, status, meets, meets_advanced):
    row = assessed(con, part)
    assert (row["status"], row["meets_19_2"], row["meets_19_2_advanced"]) == (
        status,
        meets,
        meets_advanced,
    )


def test_commune_left_out_of_the_accepted_submission_is_not_reported(con):
    row = assessed(con, "omitted")
    in_force = district(con, "119")["submission_id"]
    assert row["status"] == "not_reported"
    assert row["failed_conditions"] == [] and row["unknown_conditions"] == []
    assert row["submission_id"] == in_force
    assert row["social_order_crimes"] is None and row["effective_models"] is None


def test_rows_of_a_superseded_submission_are_not_counted(con):
    # the superseded file listed every commune with 5 security incidents
    assert assessed(con, "model")["security_incidents"] == 0
    assert assessed(con, "omitted")["status"] == "not_reported"
    assert district(con, "119")["submission_id"] == 4


def test_communes_of_a_district_that_sent_nothing_are_not_reported(con):
    found = rows(
        con,
        "select distinct status, submission_id from marts.commune_assessment"
        " where district_code = '116' and year = ?",
        [YEAR],
    )
    assert found == [{"status": "not_reported", "submission_id": None}]


# --- district ----------------------------------------------------------------------------


def test_district_summary_counts_the_statuses_of_its_communes(con):
    row = district(con, "119")
    assert {k: row[k] for k in row if k.startswith("communes_")} == {
        "communes_expected": 29,
        "communes_reported": 28,
        "communes_meeting": 12,
        "communes_meeting_advanced": 7,
        "communes_falling_short": 13,
        "communes_not_assessable": 3,
        "communes_not_reported": 1,
        "communes_like_for_like": 10,
        "communes_needed": 29 - 12,  # ceil(0.99 * 29) = 29
        "communes_needed_advanced": 15 - 7,  # ceil(0.50 * 29) = 15
    }
    assert row["pct_meeting"] == pytest.approx(12 / 29)
    assert row["pct_meeting_advanced"] == pytest.approx(7 / 29)
    assert (row["district_name"], row["province_code"], row["ruleset"]) == (
        "Huyện Thuận Châu",
        "14",
        RULESET,
    )


def test_crime_reduction_compares_only_communes_reported_in_both_years(con):
    row = district(con, "119")
    # 28 reported communes: 24 with 2 crimes, then 5, 3, 0 and 200
    assert row["social_order_crimes"] == 256
    # the ten 2019 communes: 100 crimes then, 9 * 2 + 5 = 23 now
    assert (row["social_order_crimes_2019"], row["social_order_crimes_like_for_like"]) == (100, 23)
    assert row["crime_reduction_vs_2019"] == "pass"


@pytest.mark.parametrize(
    ("district_code", "year", "outcome"),
    [
        ("125", YEAR, "pass"),  # 20 -> 19, exactly 5% less
        ("124", YEAR, "fail"),  # 20 -> 20
        ("119", 2019, "unknown"),  # the baseline year itself
        ("120", YEAR, "unknown"),  # no 2019 submission
        ("116", YEAR, "unknown"),  # no submission at all
    ],
)
def test_crime_reduction_against_2019(con, district_code, year, outcome):
    assert district(con, district_code, year)["crime_reduction_vs_2019"] == outcome


def test_district_without_accepted_submission_has_null_crime_sums(con):
    row = district(con, "116")
    assert (row["social_order_crimes"], row["social_order_crimes_2019"], row["cameras"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("district_code", "status"),
    [
        ("119", "on_time"),  # first accepted 23:30 on 15 January (later superseded)
        ("122", "on_time"),  # accepted 23:30 on 15 January, Ho Chi Minh time
        ("120", "late"),  # accepted 00:30 on 16 January, Ho Chi Minh time
        ("121", "rejected"),
        ("123", "missing"),  # withdrawn
        ("116", "missing"),
    ],
)
def test_submission_status_uses_the_deadline_in_ho_chi_minh_time(con, district_code, status):
    assert district(con, district_code)["submission_status"] == status


def test_island_district_without_communes_has_null_pct_meeting(con):
    row = district(con, "318")
    assert (row["communes_expected"], row["communes_meeting"], row["pct_meeting"]) == (0, 0, None)
    assert row["submission_status"] == "on_time"
    assert row["social_order_crimes"] == 0


# --- scope, province and nation ------------------------------------------------------------


def test_province_with_only_rejected_files_stays_out_of_every_mart(con):
    for mart, column in (
        ("commune_assessment", "province_code"),
        ("district_summary", "province_code"),
        ("province_summary", "province_code"),
        ("commune_flags", "province_code"),
        ("model_coverage", "province_code"),
    ):
        found = rows(con, f"select distinct year, {column} from marts.{mart} order by all")  # noqa: S608
        assert {(r["year"], r[column]) for r in found if r[column]} == {
            (2019, "14"),
            (2022, "14"),
            (YEAR, "14"),
            (YEAR, "31"),
        }, mart


def test_national_summary_says_what_it_covers(con):
    [row] = rows(con, "select * from marts.national_summary where year = ?", [YEAR])
    registry = rows(
        con,
        "select count(*) as n from ref.communes where province_code in ('14', '31')",
    )[0]["n"]
    assert row["provinces_in_scope"] == 2
    assert row["communes_in_scope"] == registry
    assert row["ruleset"] == RULESET


def test_province_gap_to_target_counts_the_communes_needed(con):
    [row] = rows(
        con, "select * from marts.province_summary where province_code = '14' and year = ?", [YEAR]
    )
    assert (row["communes_expected"], row["communes_meeting"]) == (204, 12)
    assert (row["target_pct_meeting"], row["target_pct_meeting_advanced"]) == (0.99, 0.5)
    assert row["communes_needed"] == 202 - 12  # ceil(0.99 * 204) = 202
    assert row["communes_needed_advanced"] == 102 - 7
    assert (
        row["districts_crime_reduction_pass"],
        row["districts_crime_reduction_fail"],
        row["districts_crime_reduction_unknown"],
    ) == (2, 1, row["districts_expected"] - 3)
    assert row["pct_districts_crime_reduction"] == pytest.approx(2 / 3)
    # on time: Thuận Châu, Phù Yên, Yên Châu, Mai Sơn
    assert (row["districts_on_time"], row["districts_late"], row["districts_rejected"]) == (4, 1, 1)


COUNTS = [
    "communes_expected",
    "communes_reported",
    "communes_meeting",
    "communes_meeting_advanced",
    "communes_falling_short",
    "communes_not_assessable",
    "communes_not_reported",
]
TOTALS = ["social_order_crimes", "cameras", "districts_crime_reduction_pass"]


def test_commune_counts_add_up_to_district_province_and_nation(con):
    communes = con.table("marts.commune_assessment").df()
    districts = con.table("marts.district_summary").df()
    provinces = con.table("marts.province_summary").df()
    nation = con.table("marts.national_summary").df()

    from_communes = (
        communes.assign(
            communes_expected=1,
            communes_reported=communes["status"].ne("not_reported"),
            communes_meeting=communes["status"].eq("meets"),
            communes_meeting_advanced=communes["meets_19_2_advanced"].eq(True),
            communes_falling_short=communes["status"].eq("falls_short"),
            communes_not_assessable=communes["status"].eq("not_assessable"),
            communes_not_reported=communes["status"].eq("not_reported"),
        )
        .groupby(["year", "district_code"])[COUNTS]
        .sum()
    )
    with_communes = districts[districts["communes_expected"] > 0]
    pd.testing.assert_frame_equal(
        from_communes,
        with_communes.set_index(["year", "district_code"])[COUNTS].sort_index(),
        check_dtype=False,
    )

    districts = districts.assign(
        districts_crime_reduction_pass=districts["crime_reduction_vs_2019"].eq("pass")
    )
    pd.testing.assert_frame_equal(
        districts.groupby(["year", "province_code"])[COUNTS + TOTALS].sum(min_count=1),
        provinces.set_index(["year", "province_code"])[COUNTS + TOTALS].sort_index(),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(
        provinces.groupby("year")[COUNTS + TOTALS].sum(min_count=1),
        nation.set_index("year")[COUNTS + TOTALS].sort_index(),
        check_dtype=False,
    )


# --- flags -----------------------------------------------------------------------------------


def test_flags_carry_observed_values_threshold_and_ruleset(con):
    flag = flags(con, "villages_60")["C6_safe_villages"]
    assert flag["level"] == "basic" and flag["outcome"] == "fail"
    assert flag["observed"] == "villages_safe=6, villages_total=10 (60%)"
    assert flag["threshold"] == ">= 70%"
    assert flag["ruleset"] == RULESET
    assert commune_name(CODE["villages_60"]) in flag["message"]
    assert "1 more" in flag["message"]
    advanced = flags(con, "villages_60")["A2_safe_villages_90"]
    assert (advanced["level"], advanced["threshold"]) == ("advanced", ">= 90%")


def test_not_reported_commune_gets_one_r0_flag(con):
    assert set(flags(con, "omitted")) == {"R0_not_reported"}
    flag = flags(con, "omitted")["R0_not_reported"]
    assert (flag["level"], flag["outcome"]) == ("basic", "fail")
    assert "Huyện Thuận Châu" in flag["message"] and "Huyện Thuận Châu" in flag["message_vi"]


def test_unknown_conditions_are_flagged_as_unknown(con):
    found = flags(con, "new_commune")
    assert {c: f["outcome"] for c, f in found.items()} == {
        "C5_crime_contained": "unknown",
        "A1_crime_reduced": "unknown",
    }
    assert "2022" in found["C5_crime_contained"]["message"]


def test_flags_match_the_condition_lists_of_every_commune(con):
    listed = rows(
        con,
        "select year, commune_code, unnest(list_concat(failed_conditions, unknown_conditions))"
        " as condition from marts.commune_assessment order by all",
    )
    flagged = rows(
        con,
        "select year, commune_code, condition from marts.commune_flags"
        " where condition <> 'R0_not_reported' order by all",
    )
    assert listed == flagged
    [counts] = rows(
        con,
        "select count(*) filter (where condition = 'R0_not_reported') as r0,"
        " count(*) filter (where message is null or message_vi is null"
        " or observed is null or threshold is null or ruleset is null) as incomplete"
        " from marts.commune_flags",
    )
    [not_reported] = rows(
        con,
        "select count(*) as n from marts.commune_assessment where status = 'not_reported'",
    )
    assert counts == {"r0": not_reported["n"], "incomplete": 0}


# --- model coverage --------------------------------------------------------------------------


def test_model_coverage_has_a_row_for_every_type_even_when_zero(con):
    found = rows(
        con,
        "select level, count(*) as n, sum(communes_with_model)::bigint as with_model"
        " from marts.model_coverage where model_type = 'reintegration' and year = ?"
        " group by level order by level",
        [YEAR],
    )
    districts = rows(
        con, "select count(*) as n from marts.district_summary where year = ?", [YEAR]
    )[0]["n"]
    assert found == [
        {"level": "district", "n": districts, "with_model": 0},
        {"level": "nation", "n": 1, "with_model": 0},
        {"level": "province", "n": 2, "with_model": 0},
    ]
    [types] = rows(
        con,
        "select count(distinct model_type) as n from marts.model_coverage where year = ?",
        [YEAR],
    )
    assert types["n"] == 10


def test_model_coverage_counts_communes_with_an_effective_model(con):
    [row] = rows(
        con,
        "select * from marts.model_coverage where level = 'district' and unit_code = '119'"
        " and year = ? and model_type = 'security_camera'",
        [YEAR],
    )
    # 28 reported communes; no_models, idle_models and no_camera have no effective camera
    assert (row["communes_with_model"], row["effective_models"], row["communes_expected"]) == (
        25,
        25,
        29,
    )
    assert row["pct_communes_with_model"] == pytest.approx(25 / 29)
    assert row["ruleset"] == RULESET


# --- invariants ------------------------------------------------------------------------------

KEYS = {
    "commune_assessment": ["year", "commune_code"],
    "commune_flags": ["year", "commune_code", "condition"],
    "district_summary": ["year", "district_code"],
    "province_summary": ["year", "province_code"],
    "national_summary": ["year"],
    "model_coverage": ["level", "unit_code", "year", "model_type"],
}


@pytest.mark.parametrize("mart", sorted(KEYS))
def test_every_mart_has_unique_non_null_keys_and_a_ruleset(con, mart):
    keys = ", ".join(KEYS[mart])
    nulls = " or ".join(f"{k} is null" for k in [*KEYS[mart], "ruleset"])
    [row] = rows(
        con,
        f"select count(*) as n, count(distinct ({keys})) as distinct_keys,"  # noqa: S608
        f" count(*) filter (where {nulls}) as nulls from marts.{mart}",
    )
    assert row["n"] > 0
    assert row["distinct_keys"] == row["n"]
    assert row["nulls"] == 0


def test_building_twice_gives_identical_marts(con):
    def snapshot() -> dict[str, list]:
        return {
            mart: con.execute(f"select * from marts.{mart} order by all").fetchall()  # noqa: S608
            for mart in KEYS
        }

    first = snapshot()
    build_models(con)
    assert snapshot() == first
