"""Province reports (Excel and HTML) and the district feedback workbook, on data built here."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
import python_calamine as pc

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.reports import (
    province_years,
    report_paths,
    write_province_reports,
    write_reports,
)
from transforms.reports.feedback import ERROR_FILL, WARNING_FILL, write_feedback
from transforms.reports.province_data import (
    CONDITION_VI,
    MODEL_TYPE_VI,
    NoReport,
    load_province_report,
)
from transforms.reports.province_excel import (
    SHEET_DISTRICTS,
    SHEET_FLAGS,
    SHEET_MODELS,
    SHEET_SUMMARY,
    SHEET_UNREPORTED,
    write_province_report,
)
from transforms.reports.province_html import CHART_IDS, render_html, write_province_html
from transforms.validation.validate import validate_file

CHROMIUM = Path("/usr/bin/chromium")
SON_LA = "14"
THUAN_CHAU = "119"  # 29 communes
QUYNH_NHAI = "118"
YEAR = 2023
VN = dt.timezone(dt.timedelta(hours=7))


def _drop(settings: Settings, book: Book, name: str) -> None:
    path = book.write(settings.inbox / name)
    os.utime(path, (time.time() - 60,) * 2)


def _book(year: int, crimes: int, district: str = THUAN_CHAU) -> Book:
    book = Book(district=district, year=year)
    for row in book.rows:
        row["social_order_crimes"] = crimes
    for model in book.models:
        model[3] = 2015
    return book


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """Son La with Thuan Chau reported for 2019, 2022 and 2023, Quynh Nhai rejected in 2023."""
    settings = Settings(home=tmp_path_factory.mktemp("reports") / "home", settle_seconds=0)
    settings.ensure()
    _drop(settings, _book(2019, 3), "thuan-chau-2019.xlsx")
    _drop(settings, _book(2022, 3), "thuan-chau-2022.xlsx")
    latest = _book(YEAR, 2)
    latest.rows[0]["serious_crimes"] = 1  # C4 fails
    latest.rows[1]["party_resolution"] = "Không"  # C1 fails
    dropped = latest.rows.pop()  # listed nowhere: not reported
    latest.models = [m for m in latest.models if m[0] != dropped["commune_code"]]
    _drop(settings, latest, "thuan-chau-2023.xlsx")
    bad = _book(YEAR, 1, district=QUYNH_NHAI)
    bad.rows[0]["fires"] = "=1+1"
    _drop(settings, bad, "quynh-nhai-2023.xlsx")
    summary = pipeline.run_once(settings, "reports-run")
    assert summary.count("accepted") == 3 and summary.count("rejected") == 1
    return settings


@pytest.fixture(scope="module")
def con(settings):
    connection = duckdb.connect(str(settings.published), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def workbook(con, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "son-la-2023.xlsx"
    write_province_report(con, SON_LA, YEAR, path)
    return openpyxl.load_workbook(path)


def table(ws, header_row: int = 3) -> list[dict[str, Any]]:
    """Return the rows under a sheet's header row as dicts keyed by header."""
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    headers = rows[0]
    return [dict(zip(headers, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


# --- Excel province report -----------------------------------------------------------------


def test_province_workbook_has_its_sheets_named_in_vietnamese(workbook):
    assert workbook.sheetnames == [
        SHEET_SUMMARY,
        SHEET_DISTRICTS,
        SHEET_UNREPORTED,
        SHEET_FLAGS,
        SHEET_MODELS,
    ]
    assert workbook[SHEET_SUMMARY]["A1"].value.endswith("Tỉnh Sơn La - năm 2023")


def test_district_summary_compares_each_district_with_the_99_percent_target(workbook):
    rows = {r["Mã huyện"]: r for r in table(workbook[SHEET_DISTRICTS])}
    thuan_chau = rows[THUAN_CHAU]
    assert thuan_chau["Tên huyện"] == "Huyện Thuận Châu"
    assert thuan_chau["Tình trạng nộp báo cáo"] == "Nộp muộn"
    assert (thuan_chau["Số xã"], thuan_chau["Số xã đã báo cáo"]) == (29, 28)
    assert thuan_chau["Số xã đạt 19.2"] == 26
    assert thuan_chau["Tỷ lệ xã đạt (%)"] == 89.7
    assert thuan_chau["Mục tiêu (%)"] == 99
    assert thuan_chau["Đạt mục tiêu"] == "Chưa đạt"
    assert thuan_chau["Số xã cần thêm"] == 3  # ceil(0.99 * 29) - 26
    assert thuan_chau["Số xã chưa báo cáo"] == 1
    # like for like: the 28 communes reported in both years, 3 crimes each in 2019, 2 in 2023
    assert thuan_chau["Tội phạm về TTXH năm gốc (cùng các xã)"] == 84
    assert thuan_chau["Tội phạm về TTXH năm báo cáo (cùng các xã)"] == 56
    assert thuan_chau["Mức giảm so với năm gốc (%)"] == 33.3
    assert thuan_chau["Giảm từ 5% trở lên so với năm gốc"] == "Đạt"
    assert rows[QUYNH_NHAI]["Tình trạng nộp báo cáo"] == "Bị từ chối"
    assert rows[SON_LA]["Tên huyện"] == "Toàn tỉnh"
    assert len(rows) == 12 + 1  # every district of Son La, then the province


def test_district_counts_add_up_to_the_province_row(workbook):
    rows = table(workbook[SHEET_DISTRICTS])
    *districts, province = rows
    for header in ("Số xã", "Số xã đã báo cáo", "Số xã đạt 19.2", "Số xã chưa báo cáo"):
        assert sum(r[header] for r in districts) == province[header]


def test_province_summary_states_the_targets_and_the_gap(workbook):
    figures = {r["Chỉ tiêu"]: r["Giá trị"] for r in table(workbook[SHEET_SUMMARY])}
    assert figures["Số huyện"] == 12
    assert figures["Số huyện có báo cáo bị từ chối"] == 1
    assert figures["Số huyện chưa nộp"] == 10
    assert figures["Mục tiêu đến năm 2025 (%)"] == 99
    assert figures["Số xã đạt tiêu chí 19.2"] == 26


def test_districts_missing_or_rejected_are_listed_with_the_rejected_file(workbook):
    rows = {r["Mã huyện"]: r for r in table(workbook[SHEET_UNREPORTED])}
    assert THUAN_CHAU not in rows
    assert len(rows) == 11
    rejected = rows[QUYNH_NHAI]
    assert rejected["Tình trạng"] == "Bị từ chối"
    assert rejected["Tệp gửi gần nhất"] == "quynh-nhai-2023.xlsx"
    assert rejected["Số lỗi"] == 1
    assert rows["116"]["Tình trạng"] == "Chưa nộp"


def test_flagged_communes_carry_the_reason_in_vietnamese(workbook, con):
    rows = table(workbook[SHEET_FLAGS])
    basic = [r for r in rows if r["Mức"] == "Cơ bản"]
    by_condition = {r["Mã điều kiện"]: r for r in basic}
    assert set(by_condition) == {"C1_governance", "C4_no_serious_crime", "R0_not_reported"}
    serious = by_condition["C4_no_serious_crime"]
    expected = con.execute(
        "select message_vi from marts.commune_flags"
        " where year = ? and commune_code = ? and condition = 'C4_no_serious_crime'",
        [YEAR, serious["Mã xã"]],
    ).fetchone()
    assert serious["Lý do và cách khắc phục"] == expected[0]
    assert serious["Điều kiện"] == CONDITION_VI["C4_no_serious_crime"]
    assert serious["Đánh giá"] == "Không đạt"
    assert serious["Kết quả của xã"] == "Chưa đạt"
    assert by_condition["R0_not_reported"]["Kết quả của xã"] == "Chưa báo cáo"
    advanced = {r["Mã điều kiện"] for r in rows if r["Mức"] == "Nâng cao"}
    assert "A3_camera_and_two_models" in advanced  # no camera model anywhere


def test_model_coverage_sheet_lists_every_model_type_for_the_province(workbook, con):
    (communes,) = con.execute(
        "select count(*) from ref.communes where province_code = ?", [SON_LA]
    ).fetchone()
    rows = list(workbook[SHEET_MODELS].iter_rows(min_row=4, max_row=13, values_only=True))
    assert [r[0] for r in rows] == list(MODEL_TYPE_VI.values())
    # each of the 28 listed Thuan Chau communes runs one effective "5 tự quản" model
    assert rows[0][:5] == ("5 tự quản", 28, communes, round(100 * 28 / communes, 1), 28)
    assert rows[1][:2] == ("Camera an ninh", 0)


def test_every_text_cell_of_the_province_workbook_is_stored_as_text(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"


def test_a_province_without_a_submission_in_force_gets_no_report(con, tmp_path):
    with pytest.raises(NoReport):
        write_province_report(con, "26", YEAR, tmp_path / "vinh-phuc.xlsx")
    # the run asks for the year after a change too (2024 is compared with 2023): nobody has
    # submitted 2024, so there is nothing to say
    written = write_province_reports(con, tmp_path, [("26", YEAR), (SON_LA, YEAR), (SON_LA, 2024)])
    assert [(w.province_code, w.year) for w in written] == [(SON_LA, YEAR)]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*")) == [
        "2023/14/bao-cao-19-2_14_2023.html",
        "2023/14/bao-cao-19-2_14_2023.xlsx",
    ]
    assert province_years(con) == [(SON_LA, 2019), (SON_LA, 2022), (SON_LA, YEAR)]


def test_write_reports_puts_both_files_under_year_and_province(con, tmp_path):
    pairs = province_years(con, years=[YEAR])
    assert pairs == [(SON_LA, YEAR)]
    written = write_reports(con, tmp_path, pairs)
    assert written == list(report_paths(tmp_path, SON_LA, YEAR))
    assert [p.relative_to(tmp_path).parts[:2] for p in written] == [("2023", "14")] * 2
    assert all(p.stat().st_size > 0 for p in written)
    assert not [p for p in (tmp_path / "2023" / "14").iterdir() if p.name.startswith(".")]


def test_the_plain_workbook_writer_reads_back_as_the_xlsxwriter_one(workbook, con, tmp_path):
    from transforms.reports.province_excel import report_sheets
    from transforms.workbook.writer import SheetData, write_plain_xlsx, write_workbook

    tricky = SheetData(
        "Khó",
        [
            ["=1+1", "+A1", "-2", "@SUM(A1:A2)", " leading", "trailing ", "a\x01b", "_x0041_"],
            [1, 2.5, -0.0, 10**15, True, False, float("nan"), ""],
            [
                dt.date(2024, 1, 15),
                dt.datetime(2024, 1, 15, 8, 30),
                None,
                "<b>&amp;</b>",
                "x" * 40000,
            ],
        ],
        start_row=2,
        start_col=1,
        bold_rows=frozenset({2}),
        column_widths={1: 30, 2: 12, 3: 12, 5: 0.5},
        freeze_rows=3,
    )
    sheets = [*report_sheets(load_province_report(con, SON_LA, YEAR)), tricky]
    ours = write_plain_xlsx(tmp_path / "plain.xlsx", sheets, author="ntm")
    theirs = write_workbook(tmp_path / "xlsxwriter.xlsx", sheets, author="ntm")
    a, b = pc.CalamineWorkbook.from_path(str(ours)), pc.CalamineWorkbook.from_path(str(theirs))
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        mine = a.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert mine == b.get_sheet_by_name(name).to_python(skip_empty_area=False), name
    x, y = openpyxl.load_workbook(ours), openpyxl.load_workbook(theirs)
    for mine, other in zip(x.worksheets, y.worksheets, strict=True):
        assert mine.freeze_panes == other.freeze_panes
        assert {k: d.width for k, d in mine.column_dimensions.items()} == {
            k: d.width for k, d in other.column_dimensions.items()
        }
        for row, row_other in zip(mine.iter_rows(), other.iter_rows(), strict=True):
            for cell, cell_other in zip(row, row_other, strict=True):
                assert (cell.value, cell.data_type, cell.font.b, cell.number_format) == (
                    cell_other.value,
                    cell_other.data_type,
                    cell_other.font.b,
                    cell_other.number_format,
                ), (mine.title, cell.coordinate)
    with pytest.raises(ValueError, match="write_workbook"):
        write_plain_xlsx(tmp_path / "m.xlsx", [SheetData("M", [["a"]], merges=[(0, 0, 0, 1)])])


# --- HTML province report -------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(con, tmp_path_factory) -> Path:
    return write_province_html(con, SON_LA, YEAR, tmp_path_factory.mktemp("html") / "r.html")


def test_html_report_is_self_contained_with_its_charts_inline_and_no_script(page):
    text = page.read_text(encoding="utf-8")
    assert re.search(r"<script\b", text) is None  # nothing to run, nothing to fetch
    assert re.search(r"<link\b", text) is None
    assert re.search(r"\b(src|href)\s*=", text) is None
    for chart_id in CHART_IDS:
        chart = re.search(rf'<figure class="chart" id="{chart_id}">(.*?)</figure>', text, re.S)
        assert chart and "<svg" in chart.group(1) and 'class="bar"' in chart.group(1)
    assert '<html lang="vi">' in text and "Tỉnh Sơn La" in text
    assert len(text.encode()) < 60_000


class Chromium:
    """Headless Debian chromium driven over the DevTools protocol (no browser download)."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "--window-size=1280,900",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = None
        deadline = time.monotonic() + 30
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            if "DevTools listening on " in line:
                url = line.split("DevTools listening on ", 1)[1].strip()
                break
        if url is None:
            self.close()
            raise RuntimeError("chromium did not start its DevTools endpoint")
        from websockets.sync.client import connect

        self.ws = connect(url, max_size=None, open_timeout=10)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv(timeout=remaining)))

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def render(
    url: str, screenshot: Path, selector_ids: tuple[str, ...] = (), wait_s: float = 15
) -> dict[str, Any]:
    """Open url in headless chromium; return console errors, outside requests and, for each
    selector id, how many bars its SVG chart shows (0: no chart, or one drawn empty or with
    no size on the page).

    Waits up to wait_s for every chart to show its bars.
    """
    profile = Path(tempfile.mkdtemp(prefix="ntm-chromium-"))
    browser = Chromium(profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired")
        counts: list[int] = []
        deadline = time.monotonic() + wait_s
        query = json.dumps(list(selector_ids))
        while time.monotonic() < deadline:
            result = browser.send(
                "Runtime.evaluate",
                {
                    "expression": f"JSON.stringify({query}.map(id => {{"
                    "const svg = document.querySelector('#' + id + ' svg');"
                    "if (!svg) return 0;"
                    "const box = svg.getBoundingClientRect();"
                    "if (box.width === 0 || box.height === 0) return 0;"
                    "return svg.querySelectorAll('.bar').length; }))",
                    "returnByValue": True,
                },
                session=session,
            )
            counts = json.loads(result["result"]["value"])
            if all(counts):
                break
            time.sleep(0.2)
        shot = browser.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            session=session,
        )
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        events = browser.events
        errors = [
            e["params"]["exceptionDetails"].get("exception", {}).get("description")
            or e["params"]["exceptionDetails"].get("text")
            for e in events
            if e.get("method") == "Runtime.exceptionThrown"
        ]
        errors += [
            " ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
            for e in events
            if e.get("method") == "Runtime.consoleAPICalled"
            and e["params"]["type"] in ("error", "assert")
        ]
        errors += [
            e["params"]["entry"]["text"]
            for e in events
            if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
        ]
        outside = [
            e["params"]["request"]["url"]
            for e in events
            if e.get("method") == "Network.requestWillBeSent"
            and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))
        ]
        return {"errors": errors, "outside": outside, "bars": counts}
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium; "
    ".ci/run installs it)",
)


@needs_chromium
def test_html_report_renders_every_chart_in_headless_chromium_without_console_errors(
    page, tmp_path
):
    shot = Path(os.environ.get("NTM_REPORT_SCREENSHOT") or tmp_path / "report.png")
    seen = render(page.as_uri(), shot, CHART_IDS)
    assert seen["errors"] == []
    assert seen["outside"] == []  # opens offline: nothing fetched beyond the file
    assert all(n > 0 for n in seen["bars"]), seen["bars"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@needs_chromium
def test_the_browser_check_catches_console_errors_and_charts_that_did_not_render(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<html><body><div id="chart-x"></div>'
        "<script>console.error('boom'); drawChart('chart-x');</script>"
        '<div id="chart-y"><svg width="0" height="0"><rect class="bar"/></svg></div>'
        "</body></html>"
    )
    seen = render(broken.as_uri(), tmp_path / "broken.png", ("chart-x", "chart-y"), wait_s=0.5)
    assert any("boom" in e for e in seen["errors"])
    assert any("drawChart is not defined" in e for e in seen["errors"])
    assert seen["bars"] == [0, 0]


# --- every figure shown equals the marts -----------------------------------------------------

# The figure each labelled line of the summary sheet shows: a column of marts.province_summary,
# shares in percent with one decimal.
SUMMARY_FIGURES = {
    "Số huyện": "districts_expected",
    "Số huyện nộp đúng hạn": "districts_on_time",
    "Số huyện nộp muộn": "districts_late",
    "Số huyện có báo cáo bị từ chối": "districts_rejected",
    "Số huyện chưa nộp": "districts_missing",
    "Số xã": "communes_expected",
    "Số xã đã báo cáo": "communes_reported",
    "Số xã đạt tiêu chí 19.2": "communes_meeting",
    "Tỷ lệ xã đạt tiêu chí 19.2 (%)": "pct_meeting",
    "Mục tiêu đến năm 2025 (%)": "target_pct_meeting",
    "Số xã cần thêm để đạt mục tiêu": "communes_needed",
    "Số xã đạt mức nâng cao": "communes_meeting_advanced",
    "Tỷ lệ xã đạt mức nâng cao (%)": "pct_meeting_advanced",
    "Mục tiêu mức nâng cao đến năm 2025 (%)": "target_pct_meeting_advanced",
    "Số xã cần thêm để đạt mục tiêu nâng cao": "communes_needed_advanced",
    "Số xã chưa đạt": "communes_falling_short",
    "Số xã chưa đủ dữ liệu đánh giá": "communes_not_assessable",
    "Số xã chưa báo cáo": "communes_not_reported",
    "Tội phạm về trật tự xã hội năm báo cáo": "social_order_crimes",
    "Tội phạm về trật tự xã hội năm 2019 (các xã báo cáo cả hai năm)": "social_order_crimes_2019",
    "Tội phạm về trật tự xã hội năm báo cáo (các xã báo cáo cả hai năm)": (
        "social_order_crimes_like_for_like"
    ),
    "Mức giảm so với năm 2019 (%)": "pct_crime_reduction_vs_2019",
    "Số huyện giảm từ 5% trở lên so với năm 2019": "districts_crime_reduction_pass",
    "Số huyện chưa giảm đủ 5%": "districts_crime_reduction_fail",
    "Số huyện chưa xác định được mức giảm": "districts_crime_reduction_unknown",
    "Tỷ lệ huyện đạt mức giảm (%)": "pct_districts_crime_reduction",
    "Tổ bảo vệ an ninh, trật tự ở cơ sở": "security_teams",
    "Tổ hòa giải": "mediation_teams",
    "Tổ phòng cháy, chữa cháy": "fire_teams",
    "Tổ liên gia tự quản về an ninh, trật tự": "interfamily_groups",
    "Camera an ninh": "cameras",
}
# The columns of the district sheet: a column of marts.district_summary (or province_summary
# for the province's own row); None for the columns that are not figures.
DISTRICT_FIGURES = {
    "Số xã": "communes_expected",
    "Số xã đã báo cáo": "communes_reported",
    "Số xã đạt 19.2": "communes_meeting",
    "Tỷ lệ xã đạt (%)": "pct_meeting",
    "Mục tiêu (%)": "target_pct_meeting",
    "Số xã cần thêm": "communes_needed",
    "Số xã đạt mức nâng cao": "communes_meeting_advanced",
    "Tỷ lệ nâng cao (%)": "pct_meeting_advanced",
    "Số xã chưa đạt": "communes_falling_short",
    "Số xã chưa đủ dữ liệu": "communes_not_assessable",
    "Số xã chưa báo cáo": "communes_not_reported",
    "Tội phạm về TTXH năm báo cáo": "social_order_crimes",
    "Tội phạm về TTXH năm gốc (cùng các xã)": "social_order_crimes_2019",
    "Tội phạm về TTXH năm báo cáo (cùng các xã)": "social_order_crimes_like_for_like",
    "Mức giảm so với năm gốc (%)": "pct_crime_reduction_vs_2019",
}


def mart_rows(con, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def shown(column: str, value: Any) -> Any:
    """Return a mart value as the reports show it: shares in percent with one decimal,
    nothing as an empty cell."""
    if value is None:
        return ""
    if column.startswith(("pct_", "target_pct_")):
        return round(100 * value, 1)
    return value


def cells(path: Path, sheet: str) -> list[list[Any]]:
    return (
        pc.CalamineWorkbook.from_path(str(path))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
    )


def records(rows: list[list[Any]], header_row: int = 2) -> list[dict[str, Any]]:
    headers = rows[header_row]
    return [dict(zip(headers, r, strict=False)) for r in rows[header_row + 1 :] if any(r)]


@pytest.fixture(scope="module")
def reports(con, tmp_path_factory):
    """The Son La report of 2023 written to files, with the marts' rows it must show."""
    [written] = write_province_reports(con, tmp_path_factory.mktemp("figures"), [(SON_LA, YEAR)])
    where = [SON_LA, YEAR]
    marts = {
        "province": mart_rows(
            con, "select * from marts.province_summary where province_code = ? and year = ?", where
        )[0],
        "districts": {
            d["district_code"]: d
            for d in mart_rows(
                con,
                "select * from marts.district_summary where province_code = ? and year = ?",
                where,
            )
        },
        "coverage": mart_rows(
            con,
            "select * from marts.model_coverage where province_code = ? and year = ?"
            " order by level, unit_code, model_type_order",
            where,
        ),
        "flags": mart_rows(
            con,
            "select * from marts.commune_flags where province_code = ? and year = ?",
            where,
        ),
    }
    return written, marts


def test_the_district_mart_carries_the_gaps_the_reduction_line_and_the_rejected_file(con):
    rows = {
        d["district_code"]: d
        for d in mart_rows(
            con,
            "select * from marts.district_summary where province_code = ? and year = ?",
            [SON_LA, YEAR],
        )
    }
    thuan_chau, quynh_nhai = rows[THUAN_CHAU], rows[QUYNH_NHAI]
    assert (thuan_chau["communes_needed"], thuan_chau["meets_target"]) == (3, False)
    assert thuan_chau["communes_needed_advanced"] == 15 - thuan_chau["communes_meeting_advanced"]
    assert thuan_chau["social_order_crimes_target"] == pytest.approx(0.95 * 84)
    assert thuan_chau["pct_crime_reduction_vs_2019"] == pytest.approx(1 - 56 / 84)
    assert thuan_chau["count_files_rejected"] == 0
    assert thuan_chau["last_rejected_file_name"] is None
    assert quynh_nhai["submission_status"] == "rejected"
    assert (quynh_nhai["count_files_rejected"], quynh_nhai["last_rejected_error_count"]) == (1, 1)
    assert quynh_nhai["last_rejected_file_name"] == "quynh-nhai-2023.xlsx"
    assert quynh_nhai["social_order_crimes_target"] is None  # nothing in force to compare
    # the gap has one definition for every level: the province's is not the sum of its
    # districts' but the same rule applied to its own counts
    [province] = mart_rows(
        con,
        "select * from marts.province_summary where province_code = ? and year = ?",
        [SON_LA, YEAR],
    )
    for unit in [*rows.values(), province]:
        target = math.ceil(round(0.99 * unit["communes_expected"], 9))
        assert unit["communes_needed"] == max(0, target - unit["communes_meeting"])
        assert unit["meets_target"] == (unit["communes_meeting"] >= target)
    [baseline] = mart_rows(
        con,
        "select * from marts.district_summary where district_code = ? and year = 2019",
        [THUAN_CHAU],
    )
    assert baseline["social_order_crimes_target"] is None  # no line for the baseline year


def test_every_figure_of_the_excel_report_equals_the_marts(reports):
    written, marts = reports
    province, districts = marts["province"], marts["districts"]

    summary = {r[0]: r[1] for r in cells(written.xlsx, SHEET_SUMMARY)[3:] if r[0]}
    figures = {label: v for label, v in summary.items() if label in SUMMARY_FIGURES}
    assert set(figures) == set(SUMMARY_FIGURES)
    for label, column in SUMMARY_FIGURES.items():
        assert figures[label] == shown(column, province[column]), label

    rows = {r["Mã huyện"]: r for r in records(cells(written.xlsx, SHEET_DISTRICTS))}
    assert set(rows) == set(districts) | {SON_LA}
    for code, row in rows.items():
        mart = province if code == SON_LA else districts[code]
        for header, column in DISTRICT_FIGURES.items():
            assert row[header] == shown(column, mart[column]), (code, header)
        assert (
            row["Đạt mục tiêu"] == {True: "Đạt", False: "Chưa đạt", None: ""}[mart["meets_target"]]
        )
        if code != SON_LA:
            assert row["Tên huyện"] == mart["district_name"]

    unreported = {r["Mã huyện"]: r for r in records(cells(written.xlsx, SHEET_UNREPORTED))}
    assert set(unreported) == {
        c for c, d in districts.items() if d["submission_status"] in ("missing", "rejected")
    }
    for code, row in unreported.items():
        d = districts[code]
        assert row["Số tệp bị từ chối"] == d["count_files_rejected"]
        assert row["Tệp gửi gần nhất"] == shown("", d["last_rejected_file_name"])
        assert row["Số lỗi"] == shown("", d["last_rejected_error_count"])
        if d["last_rejected_at"] is not None:
            local = d["last_rejected_at"].astimezone(VN).replace(tzinfo=None)
            assert abs(row["Thời điểm nhận"] - local) < dt.timedelta(seconds=1)

    flags = records(cells(written.xlsx, SHEET_FLAGS))
    seen = sorted(
        (r["Mã xã"], r["Mã điều kiện"], r["Lý do và cách khắc phục"], r["Số liệu ghi nhận"])
        for r in flags
    )
    want = sorted(
        (f["commune_code"], f["condition"], f["message_vi"], f["observed"] or "")
        for f in marts["flags"]
    )
    assert seen == want and len(flags) > 0

    models = cells(written.xlsx, SHEET_MODELS)
    province_level = [m for m in marts["coverage"] if m["level"] == "province"]
    for row, m in zip(models[3:], province_level, strict=False):
        assert row[:5] == [
            MODEL_TYPE_VI[m["model_type"]],
            m["communes_with_model"],
            m["communes_expected"],
            shown("pct_", m["pct_communes_with_model"]),
            m["effective_models"],
        ]
    matrix_header = 3 + len(province_level) + 2
    types = models[matrix_header][2 : 2 + len(province_level)]
    assert types == [MODEL_TYPE_VI[m["model_type"]] for m in province_level]
    by_district = {}
    for m in marts["coverage"]:
        if m["level"] == "district":
            by_district.setdefault(m["unit_code"], []).append(
                shown("pct_", m["pct_communes_with_model"])
            )
    matrix = {r[0]: r[2 : 2 + len(types)] for r in models[matrix_header + 1 :] if r[0]}
    assert matrix == by_district


def _svg_charts(text: str) -> dict[str, ET.Element]:
    """Return each chart's SVG element by chart id (the SVG is well-formed XML)."""
    found = re.findall(r'<figure class="chart" id="([^"]+)">.*?(<svg.*?</svg>)', text, re.S)
    return {chart_id: ET.fromstring(svg) for chart_id, svg in found}


def _svg(tag: str) -> str:
    return f"{{http://www.w3.org/2000/svg}}{tag}"


def _bars(category: ET.Element) -> list[tuple[float, float, float, str]]:
    """Return (y, height, width, tooltip) of each bar of a chart category."""
    return [
        (
            float(r.get("y", "0")),
            float(r.get("height", "0")),
            float(r.get("width", "0")),
            r.findtext(_svg("title")) or "",
        )
        for r in category.iter(_svg("rect"))
        if r.get("class") == "bar"
    ]


def _same_scale(pairs: list[tuple[float, float]], tolerance: float = 0.15) -> None:
    """Assert that drawn lengths are proportional to their values (one scale per chart),
    to the rounding of the coordinates (0.1 px)."""
    scales = [drawn / value for value, drawn in pairs if value]
    assert scales, pairs
    for value, drawn in pairs:
        assert abs(drawn - value * scales[0]) <= tolerance, (value, drawn, scales[0])


def _figure(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:g}{suffix}"


def test_every_figure_of_the_html_report_equals_the_marts(reports):
    written, marts = reports
    province, districts = marts["province"], marts["districts"]
    text = written.html.read_text(encoding="utf-8")

    cards_xml = re.search(r'<div class="cards">.*?</div></div></div>', text, re.S)
    assert cards_xml
    cards = {
        card.get("data-figure"): card[0].text
        for card in ET.fromstring(cards_xml.group(0))
        if card.get("class") == "card"
    }
    assert cards == {
        "pct_meeting": _figure(shown("pct_", province["pct_meeting"]), "%"),
        "communes_needed": str(province["communes_needed"]),
        "pct_meeting_advanced": _figure(shown("pct_", province["pct_meeting_advanced"]), "%"),
        "districts_crime_reduction_pass": (
            f"{province['districts_crime_reduction_pass']}/{province['districts_expected']}"
        ),
        "districts_unreported": str(province["districts_missing"] + province["districts_rejected"]),
    }

    table = ET.fromstring(re.search(r'<table id="districts">.*?</table>', text, re.S).group(0))
    headers = [th.text for th in table.iter("th")]
    figures = {
        "Số xã": "communes_expected",
        "Xã đạt": "communes_meeting",
        "Tỷ lệ đạt (%)": "pct_meeting",
        "Cần thêm": "communes_needed",
        "Tội phạm TTXH năm gốc": "social_order_crimes_2019",
        "Tội phạm TTXH năm báo cáo": "social_order_crimes_like_for_like",
        "Mức giảm (%)": "pct_crime_reduction_vs_2019",
    }
    rows = {
        tr.get("data-code"): [td.text for td in tr]
        for tr in table.iter("tr")
        if tr.get("data-code")
    }
    assert set(rows) == set(districts)
    for code, row in rows.items():
        d = dict(zip(headers, row, strict=True))
        mart = districts[code]
        assert d["Tên huyện"] == mart["district_name"]
        for header, column in figures.items():
            value = shown(column, mart[column])
            assert d[header] == _figure(None if value == "" else value), (code, header)

    charts = _svg_charts(text)
    assert set(charts) == set(CHART_IDS)

    meeting = charts["chart-meeting"]
    drawn = []
    for category in meeting.iter(_svg("g")):
        mart = districts[category.get("data-code")]
        [(y, height, _, tooltip)] = _bars(category)
        share = shown("pct_", mart["pct_meeting"])
        drawn.append((share, height))
        assert (
            f"Đạt: {mart['communes_meeting']}/{mart['communes_expected']} xã ({share:g}%)"
            in tooltip
        )
        assert f"Cần thêm: {mart['communes_needed']} xã" in tooltip
        label = category.find(_svg("text"))
        if mart["submission_status"] in ("on_time", "late"):
            assert label is not None and label.text == f"{share:g}%"
    assert len(drawn) == len(districts)
    _same_scale(drawn)

    crimes = charts["chart-crimes"]
    drawn, axis, lines = [], set(), []
    for category in crimes.iter(_svg("g")):
        mart = districts[category.get("data-code")]
        baseline, current = (
            mart["social_order_crimes_2019"],
            mart["social_order_crimes_like_for_like"],
        )
        values = [v for v in (baseline, current) if v is not None]
        bars = _bars(category)
        assert len(bars) == len(values)
        reduction = shown("pct_", mart["pct_crime_reduction_vs_2019"])
        for (y, height, _, tooltip), value in zip(bars, values, strict=True):
            drawn.append((value, height))
            axis.add(round(y + height, 1))
            assert f"Năm 2019: {_figure(baseline)} vụ" in tooltip
            assert f"Năm {YEAR}: {_figure(current)} vụ" in tooltip
            assert f"Mức giảm: {_figure(None if reduction == '' else reduction, '%')}" in tooltip
        marks = [line for line in category.iter(_svg("line")) if line.get("class") == "mark"]
        target = mart["social_order_crimes_target"]
        assert len(marks) == (target is not None)
        for line in marks:
            assert f"không quá {target:g} vụ" in (line.findtext(_svg("title")) or "")
            lines.append((target, float(line.get("y1"))))
    assert drawn and lines, "Thuan Chau reported in 2019 and 2023: its bars and line are drawn"
    _same_scale(drawn)
    [base] = axis  # every bar stands on the same axis
    _same_scale(drawn + [(target, base - y) for target, y in lines])

    models = charts["chart-models"]
    coverage = [m for m in marts["coverage"] if m["level"] == "province"]
    drawn = []
    for category, m in zip(models.iter(_svg("g")), coverage, strict=True):
        assert category.get("data-code") == m["model_type"]
        [(_, _, width, tooltip)] = _bars(category)
        share = shown("pct_", m["pct_communes_with_model"])
        drawn.append((share, width))
        texts = [t.text for t in category.iter(_svg("text"))]
        assert texts == [
            MODEL_TYPE_VI[m["model_type"]],
            f"{share:g}% ({m['communes_with_model']}/{m['communes_expected']} xã)",
        ]
        assert f"{m['effective_models']} mô hình" in tooltip
    _same_scale(drawn)


def test_a_province_of_forty_districts_weighs_well_under_300_kb(con):
    report = load_province_report(con, SON_LA, YEAR)
    [model] = [d for d in report.districts if d["district_code"] == THUAN_CHAU]
    report.districts = [
        {**model, "district_code": f"{900 + i}", "district_name": f"Huyện Mường Tè Nậm Nhùn {i}"}
        for i in range(40)
    ]
    page = render_html(report)
    assert len(page.encode("utf-8")) < 150_000


# --- feedback workbook ----------------------------------------------------------------------


def _comments(ws) -> dict[str, str]:
    return {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment}


def _fill(ws, coordinate: str) -> str:
    return ws[coordinate].fill.fgColor.rgb[-6:]


@pytest.fixture
def bad_book() -> Book:
    book = Book()
    book.rows[0]["fires"] = '=HYPERLINK("http://example.invalid","bấm")'  # row 4, column O
    book.rows[1]["villages_total"] = None  # row 5, column P
    book.info["Năm báo cáo"] = "-2023"  # info sheet row 3, value in B
    return book


def test_feedback_marks_each_offending_cell_with_a_fill_and_a_comment(bad_book, tmp_path):
    original = bad_book.write(tmp_path / "thuan-chau.xlsx")
    result = validate_file(original)
    out = write_feedback(result, original, tmp_path / "phan-hoi.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Danh sách lỗi", "Thông tin", "Xã", "Mô hình"]
    communes = wb["Xã"]
    notes = _comments(communes)
    assert set(notes) == {"O4", "P5"}
    assert communes["O3"].value == "Cháy nổ" and communes["P3"].value.startswith("Tổng số thôn")
    assert "cột 'Cháy nổ'" in notes["O4"] and "(EN) Sheet 'Xã' row 4" in notes["O4"]
    assert _fill(communes, "O4") == ERROR_FILL[1:] and _fill(communes, "P5") == ERROR_FILL[1:]
    info = wb["Thông tin"]
    assert set(_comments(info)) == {"B3"} and info["A3"].value == "Năm báo cáo"
    listing = table(wb["Danh sách lỗi"])
    assert [(r["Sheet"], r["Ô"], r["Mã lỗi"]) for r in listing] == [
        ("Thông tin", "B3", "info_invalid"),
        ("Xã", "O4", "count_not_number"),
        ("Xã", "P5", "villages_total_invalid"),
    ]
    assert listing[1]["Nội dung (tiếng Việt)"] == result.issues[1].message_vi
    assert listing[1]["Message (English)"] == result.issues[1].message


def test_formula_injection_in_a_cell_and_in_an_issue_value_stays_text(bad_book, tmp_path):
    bad_book.rows[2]["commune_name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    original = bad_book.write(tmp_path / "thuan-chau.xlsx")
    issues = [
        {
            "severity": "error",
            "sheet": "Xã",
            "row": 4 + i,
            "column_name": "Cháy nổ",
            "value": value,
            "rule": "count_not_number",
            "message": f"'{value}' is not a number",
            "message_vi": f"'{value}' không phải là số",
        }
        for i, value in enumerate(["=1+1", "+A1", "-2+3", "@SUM(A1:A2)"])
    ]
    out = write_feedback(issues, original, tmp_path / "phan-hoi.xlsx")
    wb = openpyxl.load_workbook(out)
    listing = wb["Danh sách lỗi"]
    values = [listing.cell(row=r, column=7) for r in range(4, 8)]
    assert [c.value for c in values] == ["=1+1", "+A1", "-2+3", "@SUM(A1:A2)"]
    assert {c.data_type for c in values} == {"s"}
    communes = wb["Xã"]
    assert communes["O4"].value == '=HYPERLINK("http://example.invalid","bấm")'
    assert communes["O4"].data_type == "s"
    assert communes["B6"].value.startswith("@SUM") and communes["B6"].data_type == "s"
    for ws in wb.worksheets:
        assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_feedback_for_xls_and_ods_originals_is_an_xlsx_with_values_at_the_same_cells(
    bad_book, tmp_path, suffix
):
    original = bad_book.write(tmp_path / f"thuan-chau{suffix}")
    out = write_feedback(validate_file(original), original, tmp_path / "phan-hoi.xlsx")
    assert out.suffix == ".xlsx"
    copy = pc.CalamineWorkbook.from_path(str(out))
    source = pc.CalamineWorkbook.from_path(str(original))
    for name in source.sheet_names:
        want = source.get_sheet_by_name(name).to_python(skip_empty_area=False)
        got = copy.get_sheet_by_name(name).to_python(skip_empty_area=False)
        assert [[v for v in row] for row in got] == [[v for v in row] for row in want], name
    assert set(_comments(openpyxl.load_workbook(out)["Xã"])) == {"O4", "P5"}


def test_feedback_can_be_fed_from_ops_validation_issues_rows(settings, con, tmp_path):
    rows = con.execute(
        "select i.severity, i.sheet, i.row, i.column_name, i.value, i.rule, i.message,"
        " i.message_vi, i.cell, s.archive_path, s.file_name"
        " from ops.validation_issues as i join ops.submissions as s using (submission_id)"
        " where s.file_name = 'quynh-nhai-2023.xlsx'"
    ).fetchall()
    names = [
        "severity",
        "sheet",
        "row",
        "column_name",
        "value",
        "rule",
        "message",
        "message_vi",
        "cell",
    ]
    issues = [dict(zip(names, r[:9], strict=True)) for r in rows]
    archived = Path(rows[0][9])
    if not archived.is_absolute():
        archived = settings.home / archived
    out = write_feedback(issues, archived, tmp_path / "fb.xlsx", file_name=rows[0][10])
    wb = openpyxl.load_workbook(out)
    assert wb["Danh sách lỗi"]["A1"].value.startswith("Phản hồi cho tệp quynh-nhai-2023.xlsx")
    ws = wb["Xã"]
    assert ws["O4"].value == "=1+1" and ws["O4"].data_type == "s"
    assert set(_comments(ws)) == {"O4"}


def test_a_header_row_issue_marks_the_header_and_a_warning_is_yellow(tmp_path):
    book = Book()
    book.headers.append("Ghi chú")
    original = book.write(tmp_path / "extra-column.xlsx")
    result = validate_file(original)
    assert [i.rule for i in result.issues] == ["column_unknown"]
    wb = openpyxl.load_workbook(write_feedback(result, original, tmp_path / "fb.xlsx"))
    ws = wb["Xã"]
    (where,) = _comments(ws)
    assert ws[where].value == "Ghi chú" and ws[where].row == 3
    assert _fill(ws, where) == WARNING_FILL[1:]


def test_issues_without_a_cell_are_listed_but_mark_nothing(tmp_path):
    book = Book(sheet_names={"info": "Thông tin", "communes": "Xã"})
    original = book.write(tmp_path / "no-models.xlsx")
    result = validate_file(original)
    wb = openpyxl.load_workbook(write_feedback(result, original, tmp_path / "fb.xlsx"))
    listing = table(wb["Danh sách lỗi"])
    assert "sheet_missing" in [r["Mã lỗi"] for r in listing]
    assert all(r["Ô"] is None for r in listing if r["Mã lỗi"] == "sheet_missing")
    assert not any(_comments(ws) for ws in wb.worksheets)


def test_an_unreadable_original_still_gets_its_list_of_issues(tmp_path):
    original = tmp_path / "notes.xlsx"
    original.write_text("not a workbook")
    result = validate_file(original)
    wb = openpyxl.load_workbook(write_feedback(result, original, tmp_path / "fb.xlsx"))
    assert wb.sheetnames == ["Danh sách lỗi"]
    rules = [r["Mã lỗi"] for r in table(wb["Danh sách lỗi"])]
    assert rules == ["file_unreadable", "feedback_copy_unavailable"]


def test_an_issue_in_a_repeated_column_names_the_cell_the_reader_took(tmp_path):
    book = Book()
    book.headers.append("Cháy nổ")  # written twice: the first one is read, the copy ignored
    book.rows[0]["fires"] = "ba"
    original = book.write(tmp_path / "twice.xlsx")
    result = validate_file(original)
    bad = next(i for i in result.issues if i.rule == "count_not_number")
    duplicate = next(i for i in result.issues if i.rule == "column_duplicate")
    assert bad.cell == "O4" and bad.row == 4
    assert duplicate.cell is not None and duplicate.cell.endswith("3") and duplicate.cell != "O3"
    wb = openpyxl.load_workbook(write_feedback(result, original, tmp_path / "fb.xlsx"))
    assert set(_comments(wb["Xã"])) == {"O4", duplicate.cell}
