"""The demo data generator: deterministic, calibrated on the article, varied like real files."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from transforms.demo import generate as demo
from transforms.reference.registry import load_registry
from transforms.reference.versions import load_versions
from transforms.workbook.contract import COMMUNES, INFO, MODELS, Sheet
from transforms.workbook.names import normalise, pad_code

DEADLINE_DAY = (1, 15)  # 15 January of Y+1, Asia/Ho_Chi_Minh


# --- reading files back, without the validator --------------------------------


def _sheet_rows(path: Path, spec: Sheet) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    name = next(n for n in wb.sheet_names if normalise(n) in spec.match_names)
    return [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]


def _table(path: Path, spec: Sheet) -> list[dict[str, object]]:
    """Return the rows with a code of a table sheet, keyed by column key."""
    rows = _sheet_rows(path, spec)
    code_names = spec.column("commune_code").match_names
    header_at = next(i for i, r in enumerate(rows) if any(normalise(v) in code_names for v in r))
    keys = {}
    for j, v in enumerate(rows[header_at]):
        col = next((c for c in spec.columns if normalise(v) in c.match_names), None)
        if col is not None:
            keys[j] = col.key
    out = []
    for row in rows[header_at + 1 :]:
        record = {key: row[j] if j < len(row) else "" for j, key in keys.items()}
        if record["commune_code"] not in ("", None):
            out.append(record)
    return out


def _info(path: Path) -> dict[str, object]:
    out = {}
    for row in _sheet_rows(path, INFO):
        cells = [v for v in row if v not in ("", None)]
        for col in INFO.columns:
            if cells and normalise(cells[0]) in col.match_names:
                out[col.key] = cells[1] if len(cells) > 1 else None
    return out


def _count(value: object) -> int:
    return 0 if value in ("", None) else int(value)  # type: ignore[call-overload]


def _all_values(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {
        n: [list(r) for r in wb.get_sheet_by_name(n).to_python(skip_empty_area=False)]
        for n in wb.sheet_names
    }


@pytest.fixture(scope="module")
def demo_plans() -> list[demo.FilePlan]:
    return demo.plan_files(demo.demo_district_codes())


@pytest.fixture(scope="module")
def demo_submissions() -> dict[tuple[str, int], demo.Submission]:
    return {
        (d, y): demo.build_submission(d, y)
        for d in demo.demo_district_codes()
        for y in demo.YEARS
        if demo.has_file(d, y)
    }


# --- determinism ----------------------------------------------------------------


def _sample_plans(plans: list[demo.FilePlan]) -> list[demo.FilePlan]:
    """Return a few plans covering xlsx, xls and ods."""
    out = []
    for fmt in ("xlsx", "xls", "ods"):
        out += [p for p in plans if p.layout.fmt == fmt][:2]
    return out


def test_two_runs_write_the_same_cell_values_and_times(
    tmp_path: Path, demo_plans: list[demo.FilePlan]
) -> None:
    sample = _sample_plans(demo_plans)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        for plan in sample:
            demo.write_plan(plan, tmp_path / run)
    for plan in sample:
        a, b = tmp_path / "a" / plan.file_name, tmp_path / "b" / plan.file_name
        assert _all_values(a) == _all_values(b), plan.file_name
        assert os.stat(a).st_mtime == os.stat(b).st_mtime


def test_xlsx_and_xls_bytes_are_reproducible(
    tmp_path: Path, demo_plans: list[demo.FilePlan]
) -> None:
    sample = [p for p in _sample_plans(demo_plans) if p.layout.fmt != "ods"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for plan in sample:
        a = demo.write_plan(plan, tmp_path / "a")
        b = demo.write_plan(plan, tmp_path / "b")
        assert a.read_bytes() == b.read_bytes(), plan.file_name


def test_the_demo_written_twice_gives_the_same_bytes_in_every_format(tmp_path: Path) -> None:
    # each in its own process, as `make demo` twice would (odfpy keeps state per process);
    # same bytes make the second demo run's files duplicates, not new submissions
    script = (
        "import sys; from pathlib import Path; from transforms.demo import generate as demo\n"
        "plans = demo.plan_files(demo.demo_district_codes())\n"
        "for fmt in ('xlsx', 'xls', 'ods'):\n"
        "    for plan in [p for p in plans if p.layout.fmt == fmt][:3]:\n"
        "        demo.write_plan(plan, Path(sys.argv[1]))\n"
    )
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run)], check=True)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 9 and {n.rsplit(".", 1)[1] for n in names} == {"xlsx", "xls", "ods"}
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_plan_does_not_depend_on_the_order_districts_are_given() -> None:
    one = demo.plan_files(["119", "400", "247"], [2023])
    two = demo.plan_files(["247", "119", "400"], [2023])
    assert one == two


def test_a_different_seed_gives_different_values() -> None:
    a = demo.build_submission("247", 2022, seed=1)
    b = demo.build_submission("247", 2022, seed=2)
    assert a.communes != b.communes


# --- calibration on the article ---------------------------------------------------------


def test_thuan_chau_2023_has_391_teams_of_each_kind_and_2769_interfamily_groups(
    tmp_path: Path,
) -> None:
    [path] = demo.generate_district_files(tmp_path, [demo.THUAN_CHAU], [2023])
    rows = _table(path, COMMUNES)
    assert len(rows) == len(load_registry().communes_of(demo.THUAN_CHAU))
    totals = {
        key: sum(_count(r[key]) for r in rows)
        for key in ("security_teams", "mediation_teams", "fire_teams", "interfamily_groups")
    }
    assert totals == {
        "security_teams": 391,
        "mediation_teams": 391,
        "fire_teams": 391,
        "interfamily_groups": 2769,
    }


def test_hau_loc_2023_lists_28_self_management_models_and_16_camera_models(
    tmp_path: Path,
) -> None:
    [path] = demo.generate_district_files(tmp_path, [demo.HAU_LOC], [2023])
    kinds = MODELS.column("model_type").enum_lookup
    types = Counter(kinds[normalise(r["model_type"])] for r in _table(path, MODELS))
    assert sum(types[k] for k in demo.SELF_MANAGEMENT_TYPES) == 28
    assert types["security_camera"] == 16


# --- arrival times ----------------------------------------------------------------------


def _deadline(year: int) -> float:
    end = dt.datetime(year + 1, *DEADLINE_DAY, 23, 59, 59, tzinfo=demo.VN_TZ)
    return end.timestamp()


def test_files_are_dated_before_the_deadline_except_the_late_ones(tmp_path: Path) -> None:
    plans = demo.plan_files(demo.demo_district_codes(["58"]))
    for plan in plans:
        demo.write_plan(plan, tmp_path)
    for plan in plans:
        mtime = os.stat(tmp_path / plan.file_name).st_mtime
        assert mtime == plan.received_at.timestamp()
        if plan.late:
            assert mtime > _deadline(plan.year), plan.file_name
            assert plan.received_at.month in (2, 3)
        else:
            assert mtime <= _deadline(plan.year), plan.file_name
            assert mtime >= dt.datetime(plan.year, 12, 1, tzinfo=demo.VN_TZ).timestamp()


def test_about_one_file_in_twenty_is_late_and_none_is_in_the_future(
    demo_plans: list[demo.FilePlan],
) -> None:
    late = sum(p.late for p in demo_plans)
    assert 0.02 <= late / len(demo_plans) <= 0.10
    assert all(p.received_at <= demo.NOW_CAP for p in demo_plans)


# --- layouts --------------------------------------------------------------------------


def test_the_four_province_demo_has_a_spread_of_formats_and_layouts(
    demo_plans: list[demo.FilePlan],
) -> None:
    n = len(demo_plans)
    assert n == 54 * 7 + 5  # and Đông Sơn (405) for 2019-2023, era-true Thanh Hóa files
    variants = Counter(v for p in demo_plans for v in p.variants)
    assert 0.01 <= variants["xls"] / n <= 0.10
    assert 0.01 <= variants["ods"] / n <= 0.10
    assert variants["xlsx"] / n >= 0.8
    for variant in (
        "title_rows",
        "offset_columns",
        "group_row",
        "signature",
        "total_row",
        "english_headers",
        "nfd_headers",
        "shuffled_columns",
        "codes_as_numbers",
        "tick_marks",
        "rating_abbreviations",
        "zeros_blank",
        "alternative_sheet_names",
        "info_last",
        "omitted_commune",
        "late",
    ):
        assert variants[variant] >= 3, variant


def test_file_names_are_unique_and_some_are_human_names(
    demo_plans: list[demo.FilePlan],
) -> None:
    names = [p.file_name for p in demo_plans]
    assert len({n.casefold() for n in names}) == len(names)
    coded = [n for n in names if n.split(".")[0].count("-") == 2 and n[:2].isdigit()]
    assert 0.3 * len(names) < len(coded) < 0.9 * len(names)
    assert any("Báo cáo" in n for n in names)


def test_only_a_few_files_leave_a_commune_out(demo_plans: list[demo.FilePlan]) -> None:
    omitted = [p for p in demo_plans if p.omitted_commune]
    assert 1 <= len(omitted) <= 0.05 * len(demo_plans)
    for plan in omitted:
        registry = load_versions()[plan.registry_version].registry
        communes = [c for c, _ in registry.communes_by_district[plan.district_code]]
        assert plan.omitted_commune in communes
        assert (plan.district_code, plan.year) not in demo.CALIBRATED


def _first(plans: list[demo.FilePlan], variant: str, fmt: str = "xlsx") -> demo.FilePlan:
    return next(p for p in plans if variant in p.variants and p.layout.fmt == fmt)


def test_a_file_with_a_total_row_holds_the_column_sums(
    tmp_path: Path, demo_plans: list[demo.FilePlan]
) -> None:
    plan = _first(demo_plans, "total_row")
    path = demo.write_plan(plan, tmp_path)
    rows = _sheet_rows(path, COMMUNES)
    total = next(r for r in rows if "Tổng cộng" in r or "Total" in r)
    data = _table(path, COMMUNES)
    header = next(r for r in rows if "villages_total" in r or "Tổng số thôn, tổ dân phố" in r)
    j = next(
        i
        for i, v in enumerate(header)
        if normalise(v) in COMMUNES.column("villages_total").match_names
    )
    assert total[j] == sum(_count(r["villages_total"]) for r in data)


def test_every_layout_keeps_the_same_values(
    tmp_path: Path, demo_plans: list[demo.FilePlan]
) -> None:
    yes_no = {"co": True, "x": True, "yes": True, "khong": False, "no": False, "": False}
    police = COMMUNES.column("police_rating").enum_lookup
    for variant in (
        "shuffled_columns",
        "english_headers",
        "nfd_headers",
        "tick_marks",
        "codes_as_numbers",
        "rating_abbreviations",
        "zeros_blank",
        "offset_columns",
    ):
        plan = _first(demo_plans, variant)
        path = demo.write_plan(plan, tmp_path)
        expected = demo.plan_submission(plan).communes
        got = _table(path, COMMUNES)
        assert [pad_code(r["commune_code"], 5) for r in got] == [
            r["commune_code"] for r in expected
        ], variant
        for g, e in zip(got, expected, strict=True):
            assert _count(g["social_order_crimes"]) == e["social_order_crimes"], variant
            assert yes_no[normalise(g["party_resolution"])] is e["party_resolution"], variant
            assert police[normalise(g["police_rating"])] == e["police_rating"], variant
        info = _info(path)
        assert pad_code(info["district_code"], 3) == plan.district_code
        assert int(info["year"]) == plan.year  # type: ignore[call-overload]


def test_calibrated_files_use_the_template_layout(demo_plans: list[demo.FilePlan]) -> None:
    for plan in demo_plans:
        if (plan.district_code, plan.year) in demo.CALIBRATED:
            assert plan.layout == demo.Layout()
            assert plan.file_name.endswith(".xlsx")


# --- the values -------------------------------------------------------------------------


def test_values_are_consistent_within_every_row(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    for (_, year), sub in demo_submissions.items():
        for r in sub.communes:
            assert 0 <= r["serious_crimes"] <= r["social_order_crimes"]
            assert 0 <= r["serious_crimes_solved"] <= r["serious_crimes"]
            assert r["villages_total"] >= 1
            assert 0 <= r["villages_safe"] <= r["villages_total"]
            assert r["traffic_deaths"] <= r["traffic_accidents"]
            assert all(isinstance(r[k], int) and r[k] >= 0 for k in demo._COUNT_KEYS)
        codes = {r["commune_code"] for r in sub.communes}
        for m in sub.models:
            assert m["commune_code"] in codes
            assert m["year_started"] is None or m["year_started"] <= year


def test_every_commune_of_the_district_is_in_the_submission(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    for (district, _), sub in demo_submissions.items():
        registry = load_versions()[sub.registry_version].registry
        expected = [c for c, _ in registry.communes_by_district[district]]
        assert [r["commune_code"] for r in sub.communes] == expected


def test_a_commune_keeps_its_villages_total_across_years(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    villages: dict[tuple[str, str], set[int]] = {}
    for sub in demo_submissions.values():
        for r in sub.communes:
            key = (r["commune_code"], r["commune_name"])  # a code may change names
            villages.setdefault(key, set()).add(r["villages_total"])
    assert all(len(v) == 1 for v in villages.values())


def _district_crimes(sub: demo.Submission) -> int:
    return sum(r["social_order_crimes"] for r in sub.communes)


def test_most_districts_cut_crime_by_five_percent_against_2019_and_a_few_do_not(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    districts = [d for d in demo.demo_district_codes() if demo.has_file(d, 2023)]
    meets = [
        _district_crimes(demo_submissions[(d, 2023)])
        <= 0.95 * _district_crimes(demo_submissions[(d, 2019)])
        for d in districts
    ]
    assert 0.75 * len(meets) <= sum(meets) < len(meets)


def test_crime_falls_year_on_year_in_most_communes_and_rises_in_some(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    rises = falls_or_holds = 0
    for (district, year), sub in demo_submissions.items():
        if year == 2019:
            continue
        before = {r["commune_code"]: r for r in demo_submissions[(district, year - 1)].communes}
        for r in sub.communes:
            if r["commune_code"] not in before:  # the commune changed between versions
                continue
            if r["social_order_crimes"] > before[r["commune_code"]]["social_order_crimes"]:
                rises += 1
            else:
                falls_or_holds += 1
    assert 0.03 < rises / (rises + falls_or_holds) < 0.25


def _assess(sub: demo.Submission, before: demo.Submission) -> tuple[Counter[str], int, int]:
    """Return (failed conditions, communes meeting, communes meeting the advanced level)."""
    effective: Counter[str] = Counter()
    cameras: Counter[str] = Counter()
    for m in sub.models:
        if m["is_effective"]:
            effective[m["commune_code"]] += 1
            cameras[m["commune_code"]] += m["model_type"] == "security_camera"
    prev = {r["commune_code"]: r for r in before.communes}
    failed: Counter[str] = Counter()
    meeting = advanced = 0
    for r in sub.communes:
        # a commune that changed between the versions is compared with itself
        p, c = prev.get(r["commune_code"], r), r["commune_code"]
        fails = {
            "C1": not (r["party_resolution"] and r["commune_plan"]),
            "C2": r["security_incidents"] > 0,
            "C3": r["mass_complaints"] > 0,
            "C4": r["serious_crimes"] > 0,
            "C5": r["social_order_crimes"] > p["social_order_crimes"]
            or r["social_evil_cases"] > p["social_evil_cases"],
            "C6": 10 * r["villages_safe"] < 7 * r["villages_total"],
            "C7": r["police_rating"] not in ("excellent", "good") or r["police_disciplined"] > 0,
            "C8": effective[c] == 0,
        }
        failed.update(k for k, v in fails.items() if v)
        if not any(fails.values()):
            meeting += 1
            reduced = r["social_order_crimes"] < p["social_order_crimes"] or (
                r["social_order_crimes"] == p["social_order_crimes"] == 0
            )
            if (
                reduced
                and 10 * r["villages_safe"] >= 9 * r["villages_total"]
                and effective[c] >= 2
                and cameras[c] >= 1
                and r["movement_rating"] in ("excellent", "fair")
            ):
                advanced += 1
    return failed, meeting, advanced


def test_communes_fall_short_for_every_reason_and_some_reach_the_advanced_level(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    failed: Counter[str] = Counter()
    meeting = advanced = total = 0
    for district in [d for d in demo.demo_district_codes() if demo.has_file(d, 2023)]:
        f, m, a = _assess(demo_submissions[(district, 2023)], demo_submissions[(district, 2022)])
        failed += f
        meeting += m
        advanced += a
        total += len(demo_submissions[(district, 2023)].communes)
    assert set(failed) == {f"C{i}" for i in range(1, 9)}
    assert 0.5 < meeting / total < 0.95
    assert 0.05 < advanced / total < meeting / total


def test_more_communes_meet_the_target_as_the_program_goes_on(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    share = {}
    for year in (2021, 2025):
        meeting = total = 0
        for district in [d for d in demo.demo_district_codes() if demo.has_file(d, year)]:
            sub = demo_submissions[(district, year)]
            meeting += _assess(sub, demo_submissions[(district, year - 1)])[1]
            total += len(sub.communes)
        share[year] = meeting / total
    assert share[2025] > share[2021]


# --- entry points -----------------------------------------------------------------------


def test_generate_demo_writes_one_file_per_district_and_year_in_a_flat_folder(
    tmp_path: Path,
) -> None:
    paths = demo.generate_demo(tmp_path / "inbox", province_codes=("58",), years=[2023, 2024])
    districts = load_registry().districts_of("58")["district_code"].tolist()
    assert len(paths) == 2 * len(districts)
    assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == sorted(p.name for p in paths)
    seen = {(pad_code(_info(p)["district_code"], 3), int(_info(p)["year"])) for p in paths}  # type: ignore[call-overload]
    assert seen == {(d, y) for d in districts for y in (2023, 2024)}


def test_generating_rejects_years_the_demo_does_not_cover(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2019"):
        demo.generate_district_files(tmp_path, ["119"], [2030])


def test_island_districts_get_a_workbook_with_headers_and_no_rows(tmp_path: Path) -> None:
    [path] = demo.generate_district_files(tmp_path, ["318"], [2023])
    assert _table(path, COMMUNES) == []
    assert _info(path)["district_code"] in ("318", 318)


def test_bad_files_cover_every_common_mistake(tmp_path: Path) -> None:
    expected = demo.generate_bad_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    assert set(expected.values()) >= {
        "file_unreadable", "file_empty", "file_type", "sheet_missing", "info_missing",
        "info_invalid", "district_unknown", "district_not_in_province", "column_missing",
        "count_not_number", "count_not_whole", "count_negative", "yesno_blank",
        "yesno_invalid", "enum_invalid", "enum_blank", "commune_code_missing",
        "commune_unknown", "commune_wrong_district", "commune_duplicate", "code_invalid",
        "serious_exceeds_total", "solved_exceeds_serious", "safe_exceeds_total",
        "villages_total_invalid", "communes_empty", "model_commune_unknown",
        "year_started_invalid",
    }  # fmt: skip
    empty = next(n for n, rule in expected.items() if rule == "file_empty")
    assert (tmp_path / empty).stat().st_size == 0
    assert any(n.endswith(".csv") for n, rule in expected.items() if rule == "file_type")


def test_a_bad_file_differs_from_its_valid_base_in_one_place(tmp_path: Path) -> None:
    expected = demo.generate_bad_files(tmp_path)
    name = next(n for n, rule in expected.items() if rule == "enum_invalid")
    rows = _table(tmp_path / name, COMMUNES)
    base = demo.build_submission(demo.BAD_FILES_DISTRICT, demo.BAD_FILES_YEAR)
    police = COMMUNES.column("police_rating").enum_lookup
    wrong = [
        (g["commune_code"], g["police_rating"])
        for g, e in zip(rows, base.communes, strict=True)
        if police.get(normalise(g["police_rating"])) != e["police_rating"]
    ]
    assert wrong == [(base.communes[0]["commune_code"], "Tốt lắm")]


def test_thanh_hoa_files_of_2019_2023_are_era_true(
    demo_submissions: dict[tuple[str, int], demo.Submission],
) -> None:
    # Đông Sơn (405) has files while it existed; Hậu Lộc lists 23 communes, then 22
    assert {y for d, y in demo_submissions if d == "405"} == {2019, 2020, 2021, 2022, 2023}
    assert demo_submissions[("405", 2021)].registry_version == "2021-02"
    assert len(demo_submissions[(demo.HAU_LOC, 2022)].communes) == 23
    assert len(demo_submissions[(demo.HAU_LOC, 2024)].communes) == 22
    assert demo_submissions[("119", 2019)].registry_version == "2025-01"
