"""Province reports (Excel and HTML) and the district feedback workbook, on data built here."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
import python_calamine as pc

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.reports import province_years, report_paths, write_reports
from transforms.reports.feedback import ERROR_FILL, WARNING_FILL, write_feedback
from transforms.reports.province_data import CONDITION_VI, MODEL_TYPE_VI
from transforms.reports.province_excel import (
    SHEET_DISTRICTS,
    SHEET_FLAGS,
    SHEET_MODELS,
    SHEET_SUMMARY,
    SHEET_UNREPORTED,
    write_province_report,
)
from transforms.reports.province_html import CHART_IDS, write_province_html
from transforms.validation.validate import validate_file

CHROMIUM = Path("/usr/bin/chromium")
SON_LA = "14"
THUAN_CHAU = "119"  # 29 communes
QUYNH_NHAI = "118"
YEAR = 2023


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


def test_a_province_without_data_gets_a_report_listing_every_district_as_missing(con, tmp_path):
    path = write_province_report(con, "26", YEAR, tmp_path / "vinh-phuc.xlsx")
    wb = openpyxl.load_workbook(path)
    missing = table(wb[SHEET_UNREPORTED])
    assert missing and {r["Tình trạng"] for r in missing} == {"Chưa nộp"}
    figures = {r["Chỉ tiêu"]: r["Giá trị"] for r in table(wb[SHEET_SUMMARY])}
    assert "Tỉnh chưa có báo cáo nào được chấp nhận" in figures["Ghi chú"]


def test_write_reports_puts_both_files_under_year_and_province(con, tmp_path):
    pairs = province_years(con, years=[YEAR])
    assert pairs == [(SON_LA, YEAR)]
    written = write_reports(con, tmp_path, pairs)
    assert written == list(report_paths(tmp_path, SON_LA, YEAR))
    assert [p.relative_to(tmp_path).parts[:2] for p in written] == [("2023", "14")] * 2
    assert all(p.stat().st_size > 0 for p in written)
    assert not [p for p in (tmp_path / "2023" / "14").iterdir() if p.name.startswith(".")]


# --- HTML province report -------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(con, tmp_path_factory) -> Path:
    return write_province_html(con, SON_LA, YEAR, tmp_path_factory.mktemp("html") / "r.html")


def test_html_report_is_self_contained_with_plotly_inlined(page):
    text = page.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]*\bsrc\s*=", text) is None
    assert re.search(r"<link\b", text) is None
    assert "Plotly.newPlot" in text and len(text) > 1_000_000  # the library itself is inside
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}"' in text
    assert '<html lang="vi">' in text and "Tỉnh Sơn La" in text


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
    """Open url in headless chromium; return console errors, outside requests and svg counts.

    Waits up to wait_s for every chart div to hold plotly's .main-svg.
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
                    "expression": f"JSON.stringify({query}.map(id => document"
                    f".querySelectorAll('#' + id + ' .main-svg').length))",
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
        return {"errors": errors, "outside": outside, "svg_counts": counts}
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
    assert all(n > 0 for n in seen["svg_counts"]), seen["svg_counts"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@needs_chromium
def test_the_browser_check_catches_console_errors_and_charts_that_did_not_render(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<html><body><div id="chart-x"></div>'
        "<script>console.error('boom'); Plotly.newPlot('chart-x', []);</script></body></html>"
    )
    seen = render(broken.as_uri(), tmp_path / "broken.png", ("chart-x",), wait_s=0.5)
    assert any("boom" in e for e in seen["errors"])
    assert any("Plotly is not defined" in e for e in seen["errors"])
    assert seen["svg_counts"] == [0]


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
