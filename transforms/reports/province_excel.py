"""The province report as an Excel workbook, in Vietnamese: sheets of plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from transforms.atomic import replace_atomically
from transforms.reports.province_data import (
    COMMUNE_STATUS_VI,
    CONDITION_VI,
    LEVEL_VI,
    MODEL_TYPE_VI,
    OUTCOME_VI,
    REDUCTION_VI,
    SUBMISSION_STATUS_VI,
    ProvinceReport,
    load_province_report,
    pct,
)
from transforms.workbook.writer import Cell, SheetData, write_plain_xlsx

SHEET_SUMMARY = "Tổng hợp tỉnh"
SHEET_DISTRICTS = "Theo huyện"
SHEET_UNREPORTED = "Huyện chưa nộp, bị từ chối"
SHEET_FLAGS = "Xã cần khắc phục"
SHEET_MODELS = "Mô hình điển hình"

DISTRICT_HEADERS = (
    "Mã huyện",
    "Tên huyện",
    "Tình trạng nộp báo cáo",
    "Số xã",
    "Số xã đã báo cáo",
    "Số xã đạt 19.2",
    "Tỷ lệ xã đạt (%)",
    "Mục tiêu (%)",
    "Đạt mục tiêu",
    "Số xã cần thêm",
    "Số xã đạt mức nâng cao",
    "Tỷ lệ nâng cao (%)",
    "Số xã chưa đạt",
    "Số xã chưa đủ dữ liệu",
    "Số xã chưa báo cáo",
    "Tội phạm về TTXH năm báo cáo",
    "Tội phạm về TTXH năm gốc (cùng các xã)",
    "Tội phạm về TTXH năm báo cáo (cùng các xã)",
    "Mức giảm so với năm gốc (%)",
    "Giảm từ 5% trở lên so với năm gốc",
)
UNREPORTED_HEADERS = (
    "Mã huyện",
    "Tên huyện",
    "Tình trạng",
    "Số tệp bị từ chối",
    "Tệp gửi gần nhất",
    "Thời điểm nhận",
    "Số lỗi",
    "Việc cần làm",
)
FLAG_HEADERS = (
    "Mã huyện",
    "Tên huyện",
    "Mã xã",
    "Tên xã",
    "Kết quả của xã",
    "Mức",
    "Mã điều kiện",
    "Điều kiện",
    "Đánh giá",
    "Số liệu ghi nhận",
    "Yêu cầu",
    "Lý do và cách khắc phục",
)
MODEL_HEADERS = (
    "Loại mô hình",
    "Số xã có mô hình hoạt động hiệu quả",
    "Số xã",
    "Tỷ lệ xã có mô hình (%)",
    "Số mô hình hoạt động hiệu quả",
)
VN_TZ = dt.timezone(dt.timedelta(hours=7))


def _local(value: Any) -> dt.datetime | None:
    """Return a timestamp in Vietnam time without tzinfo (Excel has no time zones)."""
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ).replace(tzinfo=None)
    return value


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Đạt" if value else "Chưa đạt")


def _sheet(
    name: str,
    title: str,
    headers: tuple[str, ...],
    rows: list[list[Cell]],
    widths: Sequence[float],
) -> SheetData:
    """Return a sheet with a title line, a blank line, a bold header row and the rows."""
    return SheetData(
        name,
        [[title], [], list(headers), *rows],
        bold_rows=frozenset({0, 2}),
        column_widths=dict(enumerate(widths)),
        freeze_rows=3,
    )


def summary_sheet(report: ProvinceReport) -> SheetData:
    """Return the province's key figures against the national targets."""
    s = report.summary
    target_year = report.target_year or "2025"
    base = report.baseline_year
    lines: list[list[Cell]] = [[report.title], [], ["Chỉ tiêu", "Giá trị"]]
    lines += [
        ["Bộ tiêu chí áp dụng", report.ruleset],
        ["Số huyện", s["districts_expected"]],
        ["Số huyện nộp đúng hạn", s["districts_on_time"]],
        ["Số huyện nộp muộn", s["districts_late"]],
        ["Số huyện có báo cáo bị từ chối", s["districts_rejected"]],
        ["Số huyện chưa nộp", s["districts_missing"]],
        ["Số xã", s["communes_expected"]],
        ["Số xã đã báo cáo", s["communes_reported"]],
        ["Số xã đạt tiêu chí 19.2", s["communes_meeting"]],
        ["Tỷ lệ xã đạt tiêu chí 19.2 (%)", pct(s["pct_meeting"])],
        [f"Mục tiêu đến năm {target_year} (%)", pct(report.target_pct)],
        ["Số xã cần thêm để đạt mục tiêu", s["communes_needed"]],
        ["Số xã đạt mức nâng cao", s["communes_meeting_advanced"]],
        ["Tỷ lệ xã đạt mức nâng cao (%)", pct(s["pct_meeting_advanced"])],
        [f"Mục tiêu mức nâng cao đến năm {target_year} (%)", pct(report.target_pct_advanced)],
        ["Số xã cần thêm để đạt mục tiêu nâng cao", s["communes_needed_advanced"]],
        ["Số xã chưa đạt", s["communes_falling_short"]],
        ["Số xã chưa đủ dữ liệu đánh giá", s["communes_not_assessable"]],
        ["Số xã chưa báo cáo", s["communes_not_reported"]],
        ["Tội phạm về trật tự xã hội năm báo cáo", s["social_order_crimes"]],
        [
            f"Tội phạm về trật tự xã hội năm {base} (các xã báo cáo cả hai năm)",
            s["social_order_crimes_2019"],
        ],
        [
            "Tội phạm về trật tự xã hội năm báo cáo (các xã báo cáo cả hai năm)",
            s["social_order_crimes_like_for_like"],
        ],
        [f"Mức giảm so với năm {base} (%)", pct(s["pct_crime_reduction_vs_2019"])],
        [
            f"Số huyện giảm từ {pct(report.min_crime_reduction):g}% trở lên so với năm {base}",
            s["districts_crime_reduction_pass"],
        ],
        [
            f"Số huyện chưa giảm đủ {pct(report.min_crime_reduction):g}%",
            s["districts_crime_reduction_fail"],
        ],
        ["Số huyện chưa xác định được mức giảm", s["districts_crime_reduction_unknown"]],
        ["Tỷ lệ huyện đạt mức giảm (%)", pct(s["pct_districts_crime_reduction"])],
        ["Tổ bảo vệ an ninh, trật tự ở cơ sở", s["security_teams"]],
        ["Tổ hòa giải", s["mediation_teams"]],
        ["Tổ phòng cháy, chữa cháy", s["fire_teams"]],
        ["Tổ liên gia tự quản về an ninh, trật tự", s["interfamily_groups"]],
        ["Camera an ninh", s["cameras"]],
    ]
    return SheetData(
        SHEET_SUMMARY,
        lines,
        bold_rows=frozenset({0, 2}),
        column_widths={0: 62, 1: 22},
    )


def _unit_figures(row: dict[str, Any], target: float | None) -> list[Cell]:
    """Return the figures of a district or province row of the district sheet, as the marts
    give them (shares in percent)."""
    return [
        row["communes_expected"],
        row["communes_reported"],
        row["communes_meeting"],
        pct(row["pct_meeting"]),
        target,
        _yes_no(row["meets_target"]),
        row["communes_needed"],
        row["communes_meeting_advanced"],
        pct(row["pct_meeting_advanced"]),
        row["communes_falling_short"],
        row["communes_not_assessable"],
        row["communes_not_reported"],
        row["social_order_crimes"],
        row["social_order_crimes_2019"],
        row["social_order_crimes_like_for_like"],
        pct(row["pct_crime_reduction_vs_2019"]),
    ]


def district_sheet(report: ProvinceReport) -> SheetData:
    """Return one row per district against the targets, then the province total."""
    target = pct(report.target_pct)
    rows: list[list[Cell]] = []
    for d in report.districts:
        rows.append(
            [
                d["district_code"],
                d["district_name"],
                SUBMISSION_STATUS_VI.get(d["submission_status"], d["submission_status"]),
                *_unit_figures(d, target),
                REDUCTION_VI.get(d["crime_reduction_vs_2019"] or "unknown"),
            ]
        )
    rows.append(
        [report.province_code, "Toàn tỉnh", None, *_unit_figures(report.summary, target), None]
    )
    title = f"{report.title}: kết quả theo huyện so với mục tiêu {target:g}% số xã đạt"
    widths = [10, 30, 16] + [12] * (len(DISTRICT_HEADERS) - 3)
    return _sheet(SHEET_DISTRICTS, title, DISTRICT_HEADERS, rows, widths)


def unreported_sheet(report: ProvinceReport) -> SheetData:
    """Return the districts still missing or whose files were all rejected."""
    rows: list[list[Cell]] = []
    for d in report.unreported_districts:
        rejected = d["submission_status"] == "rejected"
        rows.append(
            [
                d["district_code"],
                d["district_name"],
                SUBMISSION_STATUS_VI[d["submission_status"]],
                d["count_files_rejected"],
                d["last_rejected_file_name"],
                _local(d["last_rejected_at"]),
                d["last_rejected_error_count"],
                "Sửa các ô được đánh dấu trong tệp phản hồi rồi gửi lại"
                if rejected
                else "Gửi báo cáo của huyện",
            ]
        )
    if not rows:
        rows.append([None, "Tất cả các huyện đã có báo cáo được chấp nhận."])
    title = f"{report.title}: các huyện chưa có báo cáo được chấp nhận"
    widths = [10, 30, 14, 12, 40, 18, 10, 50]
    return _sheet(SHEET_UNREPORTED, title, UNREPORTED_HEADERS, rows, widths)


def flags_sheet(report: ProvinceReport) -> SheetData:
    """Return one row per commune and condition that fails or is unknown, with the reason."""
    rows: list[list[Cell]] = [
        [
            f["district_code"],
            f["district_name"],
            f["commune_code"],
            f["commune_name"],
            COMMUNE_STATUS_VI.get(f["commune_status"] or "", f["commune_status"]),
            LEVEL_VI.get(f["level"], f["level"]),
            f["condition"],
            CONDITION_VI.get(f["condition"], f["condition"]),
            OUTCOME_VI.get(f["outcome"], f["outcome"]),
            f["observed"],
            f["threshold"],
            f["message_vi"],
        ]
        for f in report.flags
    ]
    if not rows:
        rows.append([None, "Không có xã nào cần khắc phục."])
    title = f"{report.title}: các xã chưa đạt hoặc chưa đủ dữ liệu, theo từng điều kiện"
    widths = [10, 24, 10, 22, 18, 10, 24, 44, 14, 36, 30, 90]
    return _sheet(SHEET_FLAGS, title, FLAG_HEADERS, rows, widths)


def models_sheet(report: ProvinceReport) -> SheetData:
    """Return model coverage in the province, then the share of communes per district and type."""
    rows: list[list[Cell]] = [
        [
            MODEL_TYPE_VI.get(m["model_type"], m["model_type"]),
            m["communes_with_model"],
            m["communes_expected"],
            pct(m["pct_communes_with_model"]),
            m["effective_models"],
        ]
        for m in report.coverage
    ]
    if not rows:
        rows.append(["Chưa có số liệu về mô hình cho năm này."])
    types = [m["model_type"] for m in report.coverage]
    by_district: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for m in report.district_coverage:
        by_district.setdefault(m["unit_code"], {})[m["model_type"]] = m["pct_communes_with_model"]
        names[m["unit_code"]] = m["unit_name"]
    matrix: list[list[Cell]] = []
    if by_district:
        matrix = [
            [],
            ["Tỷ lệ xã có mô hình hoạt động hiệu quả, theo huyện (%)"],
            ["Mã huyện", "Tên huyện", *(MODEL_TYPE_VI.get(t, t) for t in types)],
        ]
        for code in sorted(by_district):
            matrix.append([code, names[code], *(pct(by_district[code].get(t)) for t in types)])
    title = f"{report.title}: mô hình điển hình về an ninh, trật tự"
    bold = {0, 2}
    if matrix:
        first = 3 + len(rows)  # the blank line before the district table
        bold |= {first + 1, first + 2}
    return SheetData(
        SHEET_MODELS,
        [[title], [], list(MODEL_HEADERS), *rows, *matrix],
        bold_rows=frozenset(bold),
        column_widths={0: 30, 1: 30, **{i: 16 for i in range(2, 2 + max(len(types), 3))}},
        freeze_rows=3,
    )


def report_sheets(report: ProvinceReport) -> list[SheetData]:
    """Return the sheets of the province workbook, in order."""
    return [
        summary_sheet(report),
        district_sheet(report),
        unreported_sheet(report),
        flags_sheet(report),
        models_sheet(report),
    ]


def write_province_report(
    con: duckdb.DuckDBPyConnection, province_code: str, year: int, path: Path
) -> Path:
    """Write the province's Excel report for a year to path (replaced atomically); return path."""
    report = load_province_report(con, province_code, year)
    return write_report_workbook(report, path)


def write_report_workbook(report: ProvinceReport, path: Path) -> Path:
    """Write an already loaded province report to path; return path."""
    path = Path(path)
    with replace_atomically(path) as tmp:
        write_plain_xlsx(tmp, report_sheets(report), author="ntm")
    return path
