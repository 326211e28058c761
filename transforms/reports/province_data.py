"""What a province report shows, read once from the marts: plain rows, Vietnamese labels.

Both the Excel workbook and the HTML page take a `ProvinceReport`, so the
two never disagree. The connection may be the working warehouse or the
published snapshot: both carry `ref`, `ops` and `marts` under the same names.
"""

from __future__ import annotations

import math
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

# Used only when the warehouse has no ruleset row for the year (a province
# with nothing in scope): the national program targets of the 2021-2025 ruleset.
DEFAULT_TARGET_PCT = 0.99
DEFAULT_TARGET_PCT_ADVANCED = 0.50
DEFAULT_MIN_CRIME_REDUCTION = 0.05
DEFAULT_BASELINE_YEAR = 2019


@dataclass
class ProvinceReport:
    province_code: str
    province_name: str
    year: int
    ruleset: str | None
    target_year: int | None
    target_pct: float
    target_pct_advanced: float
    min_crime_reduction: float
    baseline_year: int
    summary: Row | None  # marts.province_summary, None when the province is out of scope
    districts: list[Row] = field(default_factory=list)  # every registry district
    flags: list[Row] = field(default_factory=list)
    coverage: list[Row] = field(default_factory=list)  # province level, one per model type
    district_coverage: list[Row] = field(default_factory=list)

    @property
    def unreported_districts(self) -> list[Row]:
        """Return the districts still missing or with only rejected files for the year."""
        return [d for d in self.districts if d["submission_status"] in ("missing", "rejected")]

    @property
    def title(self) -> str:
        """Return the report's title line."""
        return f"Tiêu chí 19.2 (an ninh, trật tự) - {self.province_name} - năm {self.year}"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Row]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def needed_for(target: float, expected: int | None, meeting: int | None) -> int | None:
    """Return how many more communes must meet a target share (0 when it is met)."""
    if expected is None or meeting is None:
        return None
    # round first so 0.99 * 100 is 99, not 99.00000000000001
    return max(0, math.ceil(round(target * expected, 9)) - meeting)


def pct(value: float | None) -> float | None:
    """Return a share as a percentage with one decimal (None stays None)."""
    return None if value is None else round(100 * float(value), 1)


def reduction_pct(current: int | None, baseline: int | None) -> float | None:
    """Return the reduction of crimes against the baseline in percent (negative: a rise)."""
    if current is None or not baseline:
        return None
    return round(100 * (1 - current / baseline), 1)


def load_province_report(
    con: duckdb.DuckDBPyConnection, province_code: str, year: int
) -> ProvinceReport:
    """Return everything a province report shows for one year."""
    province = _rows(
        con,
        "select province_code, province_name from ref.provinces where province_code = ?",
        [province_code],
    )
    if not province:
        raise ValueError(f"unknown province code {province_code!r}")
    summary = _rows(
        con,
        "select * from marts.province_summary where province_code = ? and year = ?",
        [province_code, year],
    )
    rulesets = _rows(
        con,
        "select * from ref.rulesets where ? between first_year and last_year"
        " order by is_active desc, ruleset desc limit 1",
        [year],
    )
    ruleset = rulesets[0] if rulesets else {}
    report = ProvinceReport(
        province_code=province_code,
        province_name=str(province[0]["province_name"]),
        year=year,
        ruleset=ruleset.get("ruleset"),
        target_year=ruleset.get("target_year"),
        target_pct=float(ruleset.get("target_pct_meeting") or DEFAULT_TARGET_PCT),
        target_pct_advanced=float(
            ruleset.get("target_pct_meeting_advanced") or DEFAULT_TARGET_PCT_ADVANCED
        ),
        min_crime_reduction=float(
            ruleset.get("min_crime_reduction") or DEFAULT_MIN_CRIME_REDUCTION
        ),
        baseline_year=int(ruleset.get("baseline_year") or DEFAULT_BASELINE_YEAR),
        summary=summary[0] if summary else None,
    )
    report.districts = _rows(
        con,
        """
        with
        -- the province's districts of the year (registry.md: of its version, plus any with a
        -- submission in force), or today's when the year has no data
        registry as (
            select district_code, district_name from marts.district_summary
            where province_code = ? and year = ?
            union all
            select district_code, district_name from ref.districts
            where province_code = ? and not exists (
                select 1 from marts.district_summary where province_code = ? and year = ?
            )
        ),
        summaries as (
            select * from marts.district_summary where province_code = ? and year = ?
        ),
        rejected as (
            select
                district_code,
                count(*) as rejected_files,
                arg_max(file_name, received_at) as last_rejected_file,
                max(received_at) as last_rejected_at,
                arg_max(error_count, received_at) as last_rejected_errors
            from ops.submissions
            where province_code = ? and year = ? and status = 'rejected'
            group by district_code
        )
        select
            registry.district_code,
            coalesce(summaries.district_name, registry.district_name) as district_name,
            summaries.* exclude (district_code, district_name, province_code, year),
            coalesce(
                summaries.submission_status,
                case when rejected.district_code is not null then 'rejected' else 'missing' end
            ) as submission_status,
            rejected.rejected_files,
            rejected.last_rejected_file,
            rejected.last_rejected_at,
            rejected.last_rejected_errors
        from registry
        left join summaries using (district_code)
        left join rejected using (district_code)
        order by registry.district_code
        """,
        [province_code, year, province_code, province_code, year]
        + [province_code, year, province_code, year],
    )
    for d in report.districts:
        d["communes_needed"] = needed_for(
            report.target_pct, d.get("communes_expected"), d.get("communes_meeting")
        )
        d["crime_reduction_pct"] = reduction_pct(
            d.get("social_order_crimes_like_for_like"), d.get("social_order_crimes_2019")
        )
    report.flags = _rows(
        con,
        """
        select
            flags.district_code,
            districts.district_name,
            flags.commune_code,
            flags.commune_name,
            assessment.status as commune_status,
            flags.level,
            flags.condition,
            flags.condition_order,
            flags.outcome,
            flags.observed,
            flags.threshold,
            flags.message_vi
        from marts.commune_flags as flags
        left join (
            select district_code, arg_max(district_name, registry_version) as district_name
            from ref.districts_by_version group by district_code
        ) as districts using (district_code)
        left join marts.commune_assessment as assessment
            using (year, commune_code)
        where flags.province_code = ? and flags.year = ?
        order by
            flags.district_code,
            flags.commune_code,
            flags.level = 'advanced',
            flags.condition_order,
            flags.condition
        """,
        [province_code, year],
    )
    report.coverage = _rows(
        con,
        "select * from marts.model_coverage"
        " where level = 'province' and unit_code = ? and year = ?"
        " order by model_type_order, model_type",
        [province_code, year],
    )
    report.district_coverage = _rows(
        con,
        "select * from marts.model_coverage"
        " where level = 'district' and province_code = ? and year = ?"
        " order by unit_code, model_type_order, model_type",
        [province_code, year],
    )
    return report


def province_years(
    con: duckdb.DuckDBPyConnection,
    years: list[int] | None = None,
    province_code: str | None = None,
) -> list[tuple[str, int]]:
    """Return the (province_code, year) pairs that have a report to write, in order.

    A province is reported for a year when it is in the marts' scope (an
    accepted submission) or has received any file for that year.
    """
    rows = con.execute(
        """
        select distinct province_code, year from marts.province_summary
        union
        select distinct province_code, year from ops.submissions
        where province_code is not null and year is not null
        order by year, province_code
        """
    ).fetchall()
    return [
        (str(p), int(y))
        for p, y in rows
        if (years is None or int(y) in years) and (province_code is None or p == province_code)
    ]
