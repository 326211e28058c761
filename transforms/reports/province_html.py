"""The province report as one self-contained HTML page, its charts drawn as inline SVG.

The page opens offline and carries no script (no CDN, no fonts or scripts fetched):
provincial offices often read reports on machines without reliable internet, and
mail them on. A province of 30 districts weighs a few tens of kilobytes.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import duckdb

from transforms.atomic import replace_atomically
from transforms.reports.province_data import (
    MODEL_TYPE_VI,
    REDUCTION_VI,
    SUBMISSION_STATUS_VI,
    ProvinceReport,
    load_province_report,
    pct,
)
from transforms.reports.svg_charts import CHART_CSS, Bar, Category, bar_chart, column_chart

CHART_IDS = ("chart-meeting", "chart-crimes", "chart-models")
MEETS = "#2e7d32"
SHORT = "#ef6c00"
NO_DATA = "#9e9e9e"
BASELINE = "#90a4ae"
CURRENT = "#1565c0"
TARGET_LINE = "#c62828"

_CSS = (
    """
body { font-family: Arial, 'Noto Sans', 'DejaVu Sans', sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 16px 24px; color: #212121; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 4px; }
p.note { color: #555; margin: 4px 0 8px; font-size: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 170px; }
.card .value { font-size: 24px; font-weight: bold; }
.card .label { font-size: 13px; color: #555; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; width: 100%; }
th, td { border: 1px solid #ddd; padding: 4px 6px; text-align: right; }
th { background: #f5f5f5; }
td.text, th.text { text-align: left; }
figure.chart { margin: 24px 0 0; }
figure.chart figcaption { font-size: 16px; font-weight: bold; margin-bottom: 4px; }
"""
    + CHART_CSS
)


def _short_name(name: str) -> str:
    for prefix in ("Thành phố ", "Thị xã ", "Huyện ", "Quận "):
        if name.startswith(prefix):
            return ("TP. " if prefix == "Thành phố " else "") + name[len(prefix) :]
    return name


def _shown(value: Any) -> str:
    """Return a figure as the page shows it: '-' for nothing, shares without trailing .0."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _status(d: dict[str, Any]) -> str:
    return SUBMISSION_STATUS_VI.get(d["submission_status"], d["submission_status"])


def meeting_chart(report: ProvinceReport) -> tuple[str, str]:
    """Return (title, SVG) of the share of communes meeting 19.2 per district, against the
    target line."""
    target = pct(report.target_pct) or 0.0
    categories = []
    for d in report.districts:
        share = pct(d["pct_meeting"])
        status = _status(d)
        if share is None or d["submission_status"] in ("missing", "rejected"):
            colour, label = NO_DATA, status
        else:
            colour, label = (MEETS if d["meets_target"] else SHORT), f"{share:g}%"
        tooltip = (
            f"{d['district_name']}\nĐạt: {d['communes_meeting']}/{d['communes_expected']} xã"
            f" ({_shown(share)}%)\nCần thêm: {_shown(d['communes_needed'])} xã"
            f"\nBáo cáo: {status}"
        )
        bar = Bar(share or 0.0, colour, tooltip, label)
        categories.append(Category(d["district_code"], _short_name(d["district_name"]), [bar]))
    legend = [
        ("Đạt mục tiêu", MEETS, "box"),
        ("Chưa đạt mục tiêu", SHORT, "box"),
        ("Chưa có báo cáo được chấp nhận", NO_DATA, "box"),
        (f"Mục tiêu {target:g}%", TARGET_LINE, "dash"),
    ]
    title = f"Tỷ lệ xã đạt tiêu chí 19.2 theo huyện, năm {report.year}"
    return title, column_chart(
        CHART_IDS[0],
        title,
        categories,
        legend,
        y_max=100.0,
        y_suffix="%",
        y_title="Tỷ lệ xã đạt",
        line=(target, f"Mục tiêu {target:g}%"),
    )


def crimes_chart(report: ProvinceReport) -> tuple[str, str]:
    """Return (title, SVG) of crimes against social order per district: the baseline year,
    the year, and the line the 5% reduction asks for."""
    base = report.baseline_year
    reduction = pct(report.min_crime_reduction) or 0.0
    categories = []
    for d in report.districts:
        b = d["social_order_crimes_2019"]
        y = d["social_order_crimes_like_for_like"]
        line = d["social_order_crimes_target"]
        change = pct(d["pct_crime_reduction_vs_2019"])
        verdict = REDUCTION_VI.get(d["crime_reduction_vs_2019"] or "unknown")
        tooltip = (
            f"{d['district_name']}\nNăm {base}: {_shown(b)} vụ"
            f"\nNăm {report.year}: {_shown(y)} vụ"
            f"\nMức cần đạt: không quá {_shown(line)} vụ"
            f"\nMức giảm: {'-' if change is None else f'{change:g}%'} ({verdict})"
        )
        bars = [Bar(None if b is None else float(b), BASELINE, tooltip)]
        if report.year != base:
            bars.append(Bar(None if y is None else float(y), CURRENT, tooltip))
        categories.append(
            Category(
                d["district_code"],
                _short_name(d["district_name"]),
                bars,
                mark=None if line is None else float(line),
                mark_tooltip=f"{d['district_name']}: mức cần đạt không quá {_shown(line)} vụ",
            )
        )
    legend = [(f"Năm {base} (năm gốc)", BASELINE, "box")]
    if report.year != base:
        legend.append((f"Năm {report.year}", CURRENT, "box"))
    legend.append((f"Mức cần đạt: giảm {reduction:g}% so với năm {base}", TARGET_LINE, "line"))
    title = (
        f"Tội phạm về trật tự xã hội theo huyện: năm {report.year} so với năm {base}"
        " (cùng các xã báo cáo cả hai năm)"
    )
    return title, column_chart(CHART_IDS[1], title, categories, legend, y_title="Số vụ")


def models_chart(report: ProvinceReport) -> tuple[str, str]:
    """Return (title, SVG) of the share of communes with an effective model of each type."""
    categories = []
    for m in report.coverage:
        share = pct(m["pct_communes_with_model"])
        name = str(MODEL_TYPE_VI.get(m["model_type"], m["model_type"]))
        label = f"{_shown(share)}% ({m['communes_with_model']}/{m['communes_expected']} xã)"
        tooltip = f"{name}: {m['effective_models']} mô hình hoạt động hiệu quả"
        categories.append(
            Category(m["model_type"], name, [Bar(share or 0.0, CURRENT, tooltip, label)])
        )
    title = f"Tỷ lệ xã có mô hình điển hình hoạt động hiệu quả, năm {report.year}"
    return title, bar_chart(
        CHART_IDS[2],
        title,
        categories,
        x_max=100.0,
        x_suffix="%",
    )


def _card(value: Any, label: str, key: str) -> str:
    return (
        f'<div class="card" data-figure="{key}"><div class="value">'
        f"{html.escape(_shown(value))}</div>"
        f'<div class="label">{html.escape(label)}</div></div>'
    )


def _share(value: float | None) -> str | None:
    share = pct(value)
    return None if share is None else f"{share:g}%"


DISTRICT_COLUMNS = (
    # (header, field of marts.district_summary, text column), in the order shown
    ("Mã huyện", "district_code", True),
    ("Tên huyện", "district_name", True),
    ("Báo cáo", "submission_status", True),
    ("Số xã", "communes_expected", False),
    ("Xã đạt", "communes_meeting", False),
    ("Tỷ lệ đạt (%)", "pct_meeting", False),
    ("Cần thêm", "communes_needed", False),
    ("Tội phạm TTXH năm gốc", "social_order_crimes_2019", False),
    ("Tội phạm TTXH năm báo cáo", "social_order_crimes_like_for_like", False),
    ("Mức giảm (%)", "pct_crime_reduction_vs_2019", False),
    ("Giảm từ 5%", "crime_reduction_vs_2019", True),
)


def _district_cell(d: dict[str, Any], key: str) -> Any:
    value = d[key]
    if key == "submission_status":
        return _status(d)
    if key == "crime_reduction_vs_2019":
        return REDUCTION_VI.get(value or "unknown")
    if key.startswith("pct_"):
        return pct(value)
    return value


def _district_table(report: ProvinceReport) -> str:
    out = ['<table id="districts"><thead><tr>']
    out += [
        f'<th class="{"text" if text else ""}">{html.escape(h)}</th>'
        for h, _, text in DISTRICT_COLUMNS
    ]
    out.append("</tr></thead><tbody>")
    for d in report.districts:
        out.append(f'<tr data-code="{html.escape(d["district_code"])}">')
        out += [
            f'<td class="{"text" if text else ""}">'
            f"{html.escape(_shown(_district_cell(d, key)))}</td>"
            for _, key, text in DISTRICT_COLUMNS
        ]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: ProvinceReport) -> str:
    """Return the report page as one HTML document, its charts inline SVG, no script."""
    s = report.summary
    target = pct(report.target_pct) or 0.0
    reduction = pct(report.min_crime_reduction) or 0.0
    charts = [
        (
            meeting_chart(report),
            "Mỗi cột là một huyện; đường đứt nét là mục tiêu của chương trình.",
        ),
        (
            crimes_chart(report),
            f"Vạch đỏ: mức tội phạm cần đạt để giảm {reduction:g}% so với năm"
            f" {report.baseline_year} (Quyết định 926/QĐ-TTg).",
        ),
        (models_chart(report), "Tỷ lệ trên tổng số xã của tỉnh trong danh mục."),
    ]
    blocks = [
        f'<figure class="chart" id="{chart_id}"><figcaption>{html.escape(caption)}'
        f'</figcaption>{svg}<p class="note">{html.escape(note)}</p></figure>'
        for ((caption, svg), note), chart_id in zip(charts, CHART_IDS, strict=True)
    ]
    unreported = report.unreported_districts
    missing_text = (
        "Huyện chưa có báo cáo được chấp nhận: "
        + "; ".join(f"{d['district_name']} ({_status(d).lower()})" for d in unreported)
        if unreported
        else "Tất cả các huyện đã có báo cáo được chấp nhận."
    )
    cards = "".join(
        [
            _card(
                _share(s["pct_meeting"]),
                f"xã đạt tiêu chí 19.2 (mục tiêu {target:g}%)",
                "pct_meeting",
            ),
            _card(s["communes_needed"], "xã cần thêm để đạt mục tiêu", "communes_needed"),
            _card(
                _share(s["pct_meeting_advanced"]),
                f"xã đạt mức nâng cao (mục tiêu {pct(report.target_pct_advanced):g}%)",
                "pct_meeting_advanced",
            ),
            _card(
                f"{s['districts_crime_reduction_pass']}/{s['districts_expected']}",
                f"huyện giảm từ {reduction:g}% tội phạm so với năm {report.baseline_year}",
                "districts_crime_reduction_pass",
            ),
            _card(
                s["districts_missing"] + s["districts_rejected"],
                "huyện chưa có báo cáo được chấp nhận",
                "districts_unreported",
            ),
        ]
    )
    title = html.escape(report.title)
    ruleset = html.escape(report.ruleset or "-")
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{title}</h1>
<p class="note">Bộ tiêu chí: {ruleset}. Số liệu từ các báo cáo được chấp nhận của các huyện.</p>
<div class="cards">{cards}</div>
<p class="note">{html.escape(missing_text)}</p>
{"".join(blocks)}
<h2>Kết quả theo huyện</h2>
{_district_table(report)}
</body>
</html>
"""


def write_province_html(
    con: duckdb.DuckDBPyConnection, province_code: str, year: int, path: Path
) -> Path:
    """Write the province's HTML report for a year to path (replaced atomically); return path."""
    return write_report_html(load_province_report(con, province_code, year), path)


def write_report_html(report: ProvinceReport, path: Path) -> Path:
    """Write an already loaded province report as HTML to path; return path."""
    path = Path(path)
    with replace_atomically(path) as tmp:
        tmp.write_text(render_html(report), encoding="utf-8")
    return path
