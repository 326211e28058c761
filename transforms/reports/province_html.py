"""The province report as one self-contained HTML page: plotly charts, plotly.js inlined.

The page opens offline (no CDN, no fonts or scripts fetched): provincial
offices often read reports on machines without reliable internet.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from transforms.atomic import replace_atomically
from transforms.reports.province_data import (
    MODEL_TYPE_VI,
    REDUCTION_VI,
    SUBMISSION_STATUS_VI,
    ProvinceReport,
    load_province_report,
    pct,
    reduction_pct,
)

CHART_IDS = ("chart-meeting", "chart-crimes", "chart-models")
MEETS = "#2e7d32"
SHORT = "#ef6c00"
NO_DATA = "#9e9e9e"
BASELINE = "#90a4ae"
CURRENT = "#1565c0"
TARGET_LINE = "#c62828"
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_FONT = {"family": "Arial, 'Noto Sans', 'DejaVu Sans', sans-serif", "size": 13}

_CSS = """
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
.chart { min-height: 420px; }
"""


def _short_name(name: str) -> str:
    for prefix in ("Thành phố ", "Thị xã ", "Huyện ", "Quận "):
        if name.startswith(prefix):
            return ("TP. " if prefix == "Thành phố " else "") + name[len(prefix) :]
    return name


def _layout(fig: go.Figure, title: str, y_title: str, height: int = 440) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0},
        font=_FONT,
        height=height,
        margin={"l": 60, "r": 30, "t": 60, "b": 110},
        yaxis_title=y_title,
        legend={"orientation": "h", "y": -0.3},
        plot_bgcolor="white",
        bargap=0.25,
    )
    fig.update_yaxes(gridcolor="#eeeeee", zeroline=True, zerolinecolor="#bdbdbd")
    return fig


def meeting_chart(report: ProvinceReport) -> go.Figure:
    """Return the share of communes meeting 19.2 per district, against the target line."""
    target = pct(report.target_pct) or 0.0
    names, values, colours, labels, hover = [], [], [], [], []
    for d in report.districts:
        share = pct(d.get("pct_meeting"))
        names.append(_short_name(str(d["district_name"])))
        values.append(share or 0.0)
        status = SUBMISSION_STATUS_VI.get(d["submission_status"], d["submission_status"])
        if share is None or d["submission_status"] in ("missing", "rejected"):
            colours.append(NO_DATA)
            labels.append(status)
        else:
            colours.append(MEETS if share >= target else SHORT)
            labels.append(f"{share:g}%")
        needed = d.get("communes_needed")
        hover.append(
            f"{d['district_name']}<br>Đạt: {d.get('communes_meeting') or 0}/"
            f"{d.get('communes_expected') or 0} xã ({'-' if share is None else share}%)"
            f"<br>Cần thêm: {'-' if needed is None else needed} xã"
            f"<br>Báo cáo: {status}"
        )
    fig = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker_color=colours,
            hovertext=hover,
            hoverinfo="text",
            text=labels,
            textposition="outside",
            cliponaxis=False,
            name="Tỷ lệ xã đạt 19.2",
        )
    )
    fig.add_hline(
        y=target,
        line_dash="dash",
        line_color=TARGET_LINE,
        annotation_text=f"Mục tiêu {target:g}%",
        annotation_position="top left",
    )
    fig.update_yaxes(range=[0, 110], ticksuffix="%")
    return _layout(fig, f"Tỷ lệ xã đạt tiêu chí 19.2 theo huyện, năm {report.year}", "Tỷ lệ xã đạt")


def crimes_chart(report: ProvinceReport) -> go.Figure:
    """Return crimes against social order per district: baseline, the year, the reduction line."""
    base = report.baseline_year
    factor = 1 - report.min_crime_reduction
    names, baseline, current, line, hover = [], [], [], [], []
    for d in report.districts:
        names.append(_short_name(str(d["district_name"])))
        b = d.get("social_order_crimes_2019")
        y = d.get("social_order_crimes_like_for_like")
        baseline.append(b)
        current.append(y)
        line.append(None if b is None else round(b * factor, 2))
        verdict = REDUCTION_VI.get(d.get("crime_reduction_vs_2019") or "unknown")
        change = reduction_pct(y, b)
        hover.append(
            f"{d['district_name']}<br>Năm {base}: {'-' if b is None else b} vụ"
            f"<br>Năm {report.year}: {'-' if y is None else y} vụ"
            f"<br>Mức giảm: {'-' if change is None else f'{change:g}%'} ({verdict})"
        )
    reduction = pct(report.min_crime_reduction) or 0.0
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=names,
            y=baseline,
            name=f"Năm {base} (năm gốc)",
            marker_color=BASELINE,
            hovertext=hover,
            hoverinfo="text",
        )
    )
    if report.year != base:
        fig.add_trace(
            go.Bar(
                x=names,
                y=current,
                name=f"Năm {report.year}",
                marker_color=CURRENT,
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=names,
            y=line,
            mode="markers",
            name=f"Mức cần đạt: giảm {reduction:g}% so với năm {base}",
            marker={"symbol": "line-ew-open", "size": 34, "line": {"width": 3}},
            marker_color=TARGET_LINE,
            hoverinfo="skip",
        )
    )
    fig.update_layout(barmode="group")
    title = (
        f"Tội phạm về trật tự xã hội theo huyện: năm {report.year} so với năm {base}"
        " (cùng các xã báo cáo cả hai năm)"
    )
    return _layout(fig, title, "Số vụ")


def models_chart(report: ProvinceReport) -> go.Figure:
    """Return the share of communes with an effective model of each type in the province."""
    rows = list(reversed(report.coverage))
    fig = go.Figure(
        go.Bar(
            y=[MODEL_TYPE_VI.get(m["model_type"], m["model_type"]) for m in rows],
            x=[pct(m["pct_communes_with_model"]) or 0.0 for m in rows],
            orientation="h",
            marker_color=CURRENT,
            text=[
                f"{pct(m['pct_communes_with_model']) or 0:g}% "
                f"({m['communes_with_model']}/{m['communes_expected']} xã)"
                for m in rows
            ],
            textposition="outside",
            cliponaxis=False,
            hoverinfo="text",
            hovertext=[f"{m['effective_models']} mô hình hoạt động hiệu quả" for m in rows],
            name="Tỷ lệ xã có mô hình",
        )
    )
    fig.update_xaxes(range=[0, 125], ticksuffix="%", gridcolor="#eeeeee")
    fig = _layout(
        fig,
        f"Tỷ lệ xã có mô hình điển hình hoạt động hiệu quả, năm {report.year}",
        "",
        height=max(360, 60 + 36 * len(rows)),
    )
    fig.update_layout(margin={"l": 220, "b": 60})
    return fig


def _card(value: Any, label: str) -> str:
    shown = "-" if value is None else value
    return (
        f'<div class="card"><div class="value">{html.escape(str(shown))}</div>'
        f'<div class="label">{html.escape(label)}</div></div>'
    )


def _district_table(report: ProvinceReport) -> str:
    heads = [
        ("Mã huyện", True),
        ("Tên huyện", True),
        ("Báo cáo", True),
        ("Số xã", False),
        ("Xã đạt", False),
        ("Tỷ lệ đạt (%)", False),
        ("Cần thêm", False),
        (f"Tội phạm TTXH {report.baseline_year}", False),
        (f"Tội phạm TTXH {report.year}", False),
        ("Mức giảm", True),
    ]
    out = ["<table><thead><tr>"]
    out += [f'<th class="{"text" if t else ""}">{html.escape(h)}</th>' for h, t in heads]
    out.append("</tr></thead><tbody>")
    for d in report.districts:
        cells = [
            (d["district_code"], True),
            (d["district_name"], True),
            (SUBMISSION_STATUS_VI.get(d["submission_status"], d["submission_status"]), True),
            (d.get("communes_expected"), False),
            (d.get("communes_meeting"), False),
            (pct(d.get("pct_meeting")), False),
            (d.get("communes_needed"), False),
            (d.get("social_order_crimes_2019"), False),
            (d.get("social_order_crimes_like_for_like"), False),
            (REDUCTION_VI.get(d.get("crime_reduction_vs_2019") or "unknown"), True),
        ]
        out.append("<tr>")
        out += [
            f'<td class="{"text" if t else ""}">{html.escape("-" if v is None else str(v))}</td>'
            for v, t in cells
        ]
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: ProvinceReport) -> str:
    """Return the report page as one HTML document with plotly.js inlined."""
    s = report.summary or {}
    target = pct(report.target_pct) or 0.0
    charts = [
        (
            meeting_chart(report),
            "Mỗi cột là một huyện; đường đứt nét là mục tiêu của chương trình.",
        ),
        (
            crimes_chart(report),
            f"Vạch đỏ: mức tội phạm cần đạt để giảm {pct(report.min_crime_reduction):g}% so"
            f" với năm {report.baseline_year} (Quyết định 926/QĐ-TTg).",
        ),
        (models_chart(report), "Tỷ lệ trên tổng số xã của tỉnh trong danh mục."),
    ]
    blocks = []
    for (fig, note), div_id in zip(charts, CHART_IDS, strict=True):
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            div_id=div_id,
            config=_PLOT_CONFIG,
        )
        blocks.append(
            f'<section class="chart">{div}<p class="note">{html.escape(note)}</p></section>'
        )
    unreported = report.unreported_districts
    missing_text = (
        "Huyện chưa có báo cáo được chấp nhận: "
        + "; ".join(
            f"{d['district_name']} ({SUBMISSION_STATUS_VI[d['submission_status']].lower()})"
            for d in unreported
        )
        if unreported
        else "Tất cả các huyện đã có báo cáo được chấp nhận."
    )
    cards = "".join(
        [
            _card(
                None if s.get("pct_meeting") is None else f"{pct(s.get('pct_meeting')):g}%",
                f"xã đạt tiêu chí 19.2 (mục tiêu {target:g}%)",
            ),
            _card(s.get("communes_needed"), "xã cần thêm để đạt mục tiêu"),
            _card(
                None
                if s.get("pct_meeting_advanced") is None
                else f"{pct(s.get('pct_meeting_advanced')):g}%",
                f"xã đạt mức nâng cao (mục tiêu {pct(report.target_pct_advanced):g}%)",
            ),
            _card(
                f"{s.get('districts_crime_reduction_pass') or 0}/{len(report.districts)}",
                f"huyện giảm từ {pct(report.min_crime_reduction):g}% tội phạm so với năm "
                f"{report.baseline_year}",
            ),
            _card(len(unreported), "huyện chưa có báo cáo được chấp nhận"),
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
<script type="text/javascript">{get_plotlyjs()}</script>
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
