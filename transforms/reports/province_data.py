"""What a province report shows, read once from the marts: plain rows, Vietnamese labels.

Both the Excel workbook and the HTML page take a `ProvinceReport`, so the
two never disagree. The connection may be the working warehouse or the
published snapshot: both carry `ref`, `ops` and `marts` under the same names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from transforms.workbook import contract as c

Row = dict[str, Any]

SUBMISSION_STATUS_VI = {
    "on_time": "Đúng hạn",
    "late": "Nộp muộn",
    "rejected": "Bị từ chối",
    "missing": "Chưa nộp",
}
COMMUNE_STATUS_VI = {
    "meets": "Đạt",
    "falls_short": "Chưa đạt",
    "not_assessable": "Chưa đủ dữ liệu đánh giá",
    "not_reported": "Chưa báo cáo",
}
LEVEL_VI = {"basic": "Cơ bản", "advanced": "Nâng cao"}
OUTCOME_VI = {"fail": "Không đạt", "unknown": "Chưa xác định"}
REDUCTION_VI = {"pass": "Đạt", "fail": "Không đạt", "unknown": "Chưa xác định"}
# Names without thresholds: the thresholds live in the ruleset, and each
# flag's message_vi states the one that applied.
CONDITION_VI = {
    "R0_not_reported": "Xã chưa được báo cáo",
    "C1_governance": "Nghị quyết Đảng ủy và Kế hoạch UBND xã về an ninh, trật tự",
    "C2_no_security_incidents": "Không để xảy ra vụ việc phức tạp về an ninh quốc gia",
    "C3_no_mass_complaints": "Không để xảy ra khiếu kiện đông người kéo dài",
    "C4_no_serious_crime": "Không để xảy ra tội phạm nghiêm trọng",
    "C5_crime_contained": "Tội phạm, tệ nạn xã hội được kiềm chế, không tăng so với năm trước",
    "C6_safe_villages": "Tỷ lệ thôn, tổ dân phố đạt chuẩn an toàn về an ninh, trật tự",
    "C7_commune_police": "Công an xã hoàn thành tốt nhiệm vụ trở lên, không có cán bộ bị kỷ luật",
    "C8_typical_model": "Có mô hình điển hình về an ninh, trật tự hoạt động hiệu quả",
    "A1_crime_reduced": "Tội phạm về trật tự xã hội giảm so với năm trước",
    "A2_safe_villages_90": "Tỷ lệ thôn đạt chuẩn an toàn về an ninh, trật tự (mức nâng cao)",
    "A3_camera_and_two_models": "Ít nhất hai mô hình hiệu quả, trong đó có mô hình Camera an ninh",
    "A4_movement_fair": "Phong trào Toàn dân bảo vệ an ninh Tổ quốc xếp loại Khá trở lên",
}
MODEL_TYPE_VI = {key: labels[0] for key, labels in c.MODEL_TYPES}


@dataclass
class ProvinceReport:
    """Everything one province report shows for a year, as rows of the marts."""

    province_code: str
    province_name: str
    year: int
    ruleset: str | None
    target_year: int | None
    target_pct: float
    target_pct_advanced: float
    min_crime_reduction: float
    baseline_year: int
    summary: Row  # marts.province_summary
    districts: list[Row] = field(default_factory=list)  # marts.district_summary
    flags: list[Row] = field(default_factory=list)  # marts.commune_flags, with names
    coverage: list[Row] = field(default_factory=list)  # marts.model_coverage, province level
    district_coverage: list[Row] = field(default_factory=list)  # district level

    @property
    def unreported_districts(self) -> list[Row]:
        """Return the districts still missing or with only rejected files for the year."""
        return [d for d in self.districts if d["submission_status"] in ("missing", "rejected")]

    @property
    def title(self) -> str:
        """Return the report's title line."""
        return f"Tiêu chí 19.2 (an ninh, trật tự) - {self.province_name} - năm {self.year}"


class NoReport(LookupError):
    """The province has no submission in force for the year: there is nothing to report."""


def pct(value: float | None) -> float | None:
    """Return a share as a percentage with one decimal (None stays None)."""
    return None if value is None else round(100 * float(value), 1)


# Each mart is read once per year for every province asked for, then split by province;
# the year and the provinces travel as parameters.
_PROVINCES = """
    select * from marts.province_summary
    where year = $year and list_contains($provinces, province_code)
    order by province_code
"""
_DISTRICTS = """
    select * from marts.district_summary
    where year = $year and list_contains($provinces, province_code)
    order by province_code, district_code
"""
_FLAGS = """
    select
        flags.province_code,
        flags.district_code,
        flags.commune_code,
        flags.commune_name,
        assessment.status as commune_status,
        flags.level,
        flags.condition,
        flags.outcome,
        flags.observed,
        flags.threshold,
        flags.message_vi
    from marts.commune_flags as flags
    left join marts.commune_assessment as assessment
        on assessment.year = flags.year and assessment.commune_code = flags.commune_code
    where flags.year = $year and list_contains($provinces, flags.province_code)
    order by
        flags.province_code,
        flags.district_code,
        flags.commune_code,
        flags.level = 'advanced',
        flags.condition_order,
        flags.condition
"""
_COVERAGE = """
    select * from marts.model_coverage
    where
        level in ('province', 'district')
        and year = $year
        and list_contains($provinces, province_code)
    order by province_code, level, unit_code, model_type_order, model_type
"""
_RULESETS = "select * from ref.rulesets"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[Row]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def _by_province(rows: list[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row["province_code"], []).append(row)
    return out


def load_year_reports(
    con: duckdb.DuckDBPyConnection, year: int, province_codes: Iterable[str]
) -> dict[str, ProvinceReport]:
    """Return the report of each of these provinces that has a submission in force for the
    year, by province code; one query per mart serves them all."""
    params = {"year": int(year), "provinces": sorted(set(province_codes))}
    summaries = _rows(con, _PROVINCES, params)
    if not summaries:
        return {}
    districts = _by_province(_rows(con, _DISTRICTS, params))
    flags = _by_province(_rows(con, _FLAGS, params))
    coverage = _by_province(_rows(con, _COVERAGE, params))
    rulesets = {r["ruleset"]: r for r in _rows(con, _RULESETS, {})}
    reports = {}
    for s in summaries:
        code = s["province_code"]
        ruleset = rulesets[s["ruleset"]]
        names = {d["district_code"]: d["district_name"] for d in districts.get(code, [])}
        province_flags = flags.get(code, [])
        for f in province_flags:
            f["district_name"] = names.get(f["district_code"])
        units = coverage.get(code, [])
        reports[code] = ProvinceReport(
            province_code=code,
            province_name=str(s["province_name"]),
            year=int(year),
            ruleset=s["ruleset"],
            target_year=s["target_year"],
            target_pct=float(s["target_pct_meeting"]),
            target_pct_advanced=float(s["target_pct_meeting_advanced"]),
            min_crime_reduction=float(ruleset["min_crime_reduction"]),
            baseline_year=int(ruleset["baseline_year"]),
            summary=s,
            districts=districts.get(code, []),
            flags=province_flags,
            coverage=[m for m in units if m["level"] == "province"],
            district_coverage=[m for m in units if m["level"] == "district"],
        )
    return reports


def load_reports(
    con: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[str, int]]
) -> list[ProvinceReport]:
    """Return the reports of the (province_code, year) pairs that have something to say (a
    submission in force), in the order given; the others are left out."""
    pairs = [(str(p), int(y)) for p, y in pairs]
    by_year: dict[int, list[str]] = {}
    for code, year in pairs:
        by_year.setdefault(year, []).append(code)
    loaded = {
        (code, year): report
        for year, codes in by_year.items()
        for code, report in load_year_reports(con, year, codes).items()
    }
    return [loaded[pair] for pair in dict.fromkeys(pairs) if pair in loaded]


def load_province_report(
    con: duckdb.DuckDBPyConnection, province_code: str, year: int
) -> ProvinceReport:
    """Return everything a province report shows for one year; NoReport when the province
    has no submission in force that year."""
    found = load_reports(con, [(province_code, year)])
    if not found:
        raise NoReport(f"province {province_code!r} has no submission in force for {year}")
    return found[0]


def province_years(
    con: duckdb.DuckDBPyConnection,
    years: list[int] | None = None,
    province_code: str | None = None,
) -> list[tuple[str, int]]:
    """Return the (province_code, year) pairs that have a report to write, in order: those
    with a submission in force (the scope of the marts)."""
    rows = con.execute(
        "select distinct province_code, year from marts.province_summary"
        " order by year, province_code"
    ).fetchall()
    return [
        (str(p), int(y))
        for p, y in rows
        if (years is None or int(y) in years) and (province_code is None or p == province_code)
    ]
