"""Validation issues: the row every problem becomes, and the catalogue of rule codes.

Rule codes are stable identifiers (README "Rule codes"); each has one English
and one Vietnamese message template, filled from the issue's own fields so a
district officer reads which cell to fix and what to write there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    severity: Severity
    en: str
    vi: str


# Placeholders: {sheet} {row} {column} {value} {detail}; for rules that cite the registry,
# {version} (the registry version, or versions, judged against) and {later} (" or any
# later one", in the message's language, when no later candidate version has it either)
RULES: dict[str, Rule] = {
    # whole file
    "file_type": Rule(
        "error",
        "File type '{value}' is not accepted: send the workbook as .xlsx, .xlsm, .xls or .ods.",
        "Định dạng tệp '{value}' không được chấp nhận: gửi bảng tính .xlsx, .xlsm, .xls hoặc .ods.",
    ),
    "file_empty": Rule(
        "error",
        "The file is empty (0 bytes): send the workbook again.",
        "Tệp rỗng (0 byte): vui lòng gửi lại bảng tính.",
    ),
    "file_too_large": Rule(
        "error",
        "The file is {value}, over the {detail} limit: remove unused sheets and send it again.",
        "Tệp có dung lượng {value}, vượt giới hạn {detail}: xóa các sheet thừa rồi gửi lại.",
    ),
    "file_unpacked_too_large": Rule(
        "error",
        "The file unpacks to {value}, over the {detail} limit, and was not opened.",
        "Tệp khi giải nén có dung lượng {value}, vượt giới hạn {detail}, nên không được mở.",
    ),
    "file_encrypted": Rule(
        "error",
        "The workbook is password-protected: remove the password and send it again.",
        "Bảng tính có đặt mật khẩu: gỡ mật khẩu rồi gửi lại.",
    ),
    "file_unreadable": Rule(
        "error",
        "The file cannot be read as a spreadsheet ({detail}): save it again from Excel "
        "or LibreOffice and send it again.",
        "Không đọc được tệp như một bảng tính ({detail}): mở bằng Excel hoặc LibreOffice, "
        "lưu lại rồi gửi lại.",
    ),
    "formula_without_value": Rule(
        "error",
        "Cell {column}{row} of sheet '{sheet}' holds a formula with no calculated value: "
        "open the file in Excel or LibreOffice, recalculate, save and send it again.",
        "Ô {column}{row} của sheet '{sheet}' chứa công thức chưa có giá trị tính: mở tệp "
        "bằng Excel hoặc LibreOffice, tính lại, lưu và gửi lại.",
    ),
    # sheets and info
    "sheet_missing": Rule(
        "error",
        "The workbook has no '{value}' sheet ({detail}).",
        "Bảng tính không có sheet '{value}' ({detail}).",
    ),
    "info_missing": Rule(
        "error",
        "Sheet '{sheet}' has no '{column}' entry: add a row with '{column}' and its value.",
        "Sheet '{sheet}' thiếu mục '{column}': thêm một dòng ghi '{column}' và giá trị.",
    ),
    "info_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not valid; expected {detail}.",
        "Sheet '{sheet}' dòng {row}, '{column}': '{value}' không hợp lệ; cần {detail}.",
    ),
    "province_unknown": Rule(
        "error",
        "Sheet '{sheet}' row {row}: province code '{value}' does not exist in the registry "
        "(versions {version}).",
        "Sheet '{sheet}' dòng {row}: mã tỉnh '{value}' không có trong danh mục "
        "(các phiên bản {version}).",
    ),
    "district_unknown": Rule(
        "error",
        "Sheet '{sheet}' row {row}: district code '{value}' does not exist in the registry "
        "versions tried for {detail} ({version}).",
        "Sheet '{sheet}' dòng {row}: mã huyện '{value}' không có trong các phiên bản danh mục "
        "đã đối chiếu cho năm {detail} ({version}).",
    ),
    "district_not_in_province": Rule(
        "error",
        "Sheet '{sheet}' row {row}: district '{value}' does not belong to province {detail} "
        "in the {version} registry.",
        "Sheet '{sheet}' dòng {row}: huyện '{value}' không thuộc tỉnh {detail} theo danh mục "
        "{version}.",
    ),
    "district_name_mismatch": Rule(
        "warning",
        "Sheet '{sheet}' row {row}: district name '{value}' differs from the {version} "
        "registry ({detail}).",
        "Sheet '{sheet}' dòng {row}: tên huyện '{value}' khác danh mục {version} ({detail}).",
    ),
    # table layout
    "header_missing": Rule(
        "error",
        "Sheet '{sheet}': no header row with a '{column}' column in the first {detail} rows.",
        "Sheet '{sheet}': không tìm thấy dòng tiêu đề có cột '{column}' trong {detail} dòng đầu.",
    ),
    "column_missing": Rule(
        "error",
        "Sheet '{sheet}': required column '{column}' is missing; add it to the header row {row}.",
        "Sheet '{sheet}': thiếu cột bắt buộc '{column}'; thêm cột này vào dòng tiêu đề {row}.",
    ),
    "column_duplicate": Rule(
        "error",
        "Sheet '{sheet}' row {row}: column '{column}' appears twice ({detail}); keep one.",
        "Sheet '{sheet}' dòng {row}: cột '{column}' xuất hiện hai lần ({detail}); chỉ giữ một.",
    ),
    "column_unknown": Rule(
        "warning",
        "Sheet '{sheet}' row {row}: column '{column}' is not part of the form and was ignored.",
        "Sheet '{sheet}' dòng {row}: cột '{column}' không thuộc biểu mẫu nên được bỏ qua.",
    ),
    "communes_empty": Rule(
        "error",
        "Sheet '{sheet}' lists no commune: the district has {detail} communes to report in "
        "the {version} registry.",
        "Sheet '{sheet}' không có xã nào: theo danh mục {version}, huyện có {detail} xã phải "
        "báo cáo.",
    ),
    "commune_not_listed": Rule(
        "warning",
        "Commune {value} ({detail}) of this district in the {version} registry is not listed; "
        "it will count as not reported.",
        "Xã {value} ({detail}) của huyện theo danh mục {version} không có trong danh sách; sẽ "
        "được tính là chưa báo cáo.",
    ),
    "total_mismatch": Rule(
        "warning",
        "Sheet '{sheet}' row {row}, '{column}': the total {value} differs from the sum of the "
        "rows ({detail}).",
        "Sheet '{sheet}' dòng {row}, cột '{column}': tổng {value} khác tổng các dòng ({detail}).",
    ),
    # cells
    "commune_code_missing": Rule(
        "error",
        "Sheet '{sheet}' row {row}: the row has data but no commune code in '{column}'.",
        "Sheet '{sheet}' dòng {row}: dòng có số liệu nhưng thiếu mã xã ở cột '{column}'.",
    ),
    "code_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not a 5-digit commune code{detail}.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': '{value}' không phải mã xã 5 chữ số{detail}.",
    ),
    "commune_unknown": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} is not a commune of {detail} in the "
        "{version} registry{later} (no commune has this code there).",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} không phải là xã của {detail} "
        "theo danh mục {version}{later} (không có xã nào mang mã này).",
    ),
    "commune_wrong_district": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': commune {value} belongs to {detail} in the "
        "{version} registry, not to this district.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': theo danh mục {version}, xã {value} thuộc "
        "{detail}, không thuộc huyện này.",
    ),
    "commune_duplicate": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': commune {value} is listed more than once "
        "(rows {detail}); keep one row per commune.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': xã {value} bị lặp (các dòng {detail}); "
        "mỗi xã chỉ một dòng.",
    ),
    "commune_name_mismatch": Rule(
        "warning",
        "Sheet '{sheet}' row {row}, '{column}': name '{value}' differs from the {version} "
        "registry ({detail}).",
        "Sheet '{sheet}' dòng {row}, cột '{column}': tên '{value}' khác danh mục {version} "
        "({detail}).",
    ),
    "count_not_number": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not a number; write a whole "
        "number such as 0, 1, 2.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': '{value}' không phải là số; ghi số "
        "nguyên như 0, 1, 2.",
    ),
    "count_not_whole": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} is not a whole number.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} không phải số nguyên.",
    ),
    "count_negative": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} is negative; a count is 0 or more.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} là số âm; số lượng phải từ 0 trở lên.",
    ),
    "count_too_large": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} is far too large for a count; "
        "check the cell.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} quá lớn đối với một số lượng; "
        "kiểm tra lại ô này.",
    ),
    "villages_total_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': value required, at least 1 village "
        "(found '{value}').",
        "Sheet '{sheet}' dòng {row}, cột '{column}': bắt buộc ghi, ít nhất 1 thôn "
        "(đang ghi '{value}').",
    ),
    "yesno_blank": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': value required: write Có or Không.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': bắt buộc ghi Có hoặc Không.",
    ),
    "yesno_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not yes or no; write Có or Không.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': '{value}' không hợp lệ; ghi Có hoặc Không.",
    ),
    "enum_blank": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': value required; write one of: {detail}.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': bắt buộc ghi một trong: {detail}.",
    ),
    "enum_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not allowed; write one of: {detail}.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': '{value}' không hợp lệ; ghi một trong: "
        "{detail}.",
    ),
    "serious_exceeds_total": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} serious crimes is more than the "
        "{detail} crimes against social order.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} vụ nghiêm trọng nhiều hơn "
        "{detail} vụ phạm tội về trật tự xã hội.",
    ),
    "solved_exceeds_serious": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} solved is more than the {detail} "
        "serious crimes.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} vụ đã làm rõ nhiều hơn "
        "{detail} vụ nghiêm trọng.",
    ),
    "safe_exceeds_total": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': {value} safe villages is more than the "
        "{detail} villages in total.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': {value} thôn đạt chuẩn nhiều hơn "
        "tổng số {detail} thôn.",
    ),
    "model_commune_unknown": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': commune {value} is not a commune of this "
        "district in the {version} registry{detail}.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': xã {value} không thuộc huyện này theo "
        "danh mục {version}{detail}.",
    ),
    "year_started_invalid": Rule(
        "error",
        "Sheet '{sheet}' row {row}, '{column}': '{value}' is not a year from 1945 to {detail}.",
        "Sheet '{sheet}' dòng {row}, cột '{column}': '{value}' không phải năm từ 1945 đến "
        "{detail}.",
    ),
    # hostile or oversized content, found before a sheet is loaded
    "file_hostile": Rule(
        "error",
        "The file holds content that Excel and LibreOffice never write ({detail}) and was "
        "not opened: open it in Excel or LibreOffice, save it as a new workbook and send that.",
        "Tệp chứa nội dung mà Excel và LibreOffice không bao giờ tạo ra ({detail}) nên không "
        "được mở: mở tệp bằng Excel hoặc LibreOffice, lưu thành bảng tính mới rồi gửi lại.",
    ),
    "sheet_too_large": Rule(
        "error",
        "Sheet '{sheet}' is too large to read: its values span {value}, over the limit of "
        "{detail}. Delete the unused rows and columns below and to the right of the table, "
        "save and send it again.",
        "Sheet '{sheet}' quá lớn để đọc: dữ liệu trải trên {value}, vượt giới hạn {detail}. "
        "Xóa các dòng, cột thừa bên dưới và bên phải bảng, lưu rồi gửi lại.",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One problem in one file, where a district officer can find it."""

    file: str
    severity: Severity
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str
    message_vi: str
    # the cell the issue is about ("D7"); None when it is about a sheet or the file
    cell: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the issue as a plain dict (JSON output, DataFrames)."""
        return asdict(self)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def make_issue(
    rule: str,
    *,
    file: str,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    detail: object = "",
    cell: str | None = None,
    version: str = "",
    later: bool = False,
) -> Issue:
    """Return the issue for a rule code, with both messages filled in.

    version names the registry version(s) the rule was judged against; later says the
    code is missing from every later candidate version too.
    """
    spec = RULES[rule]
    shown = _text(value)
    fields = {
        "sheet": sheet or "",
        "row": row if row is not None else "",
        "column": column or "",
        "value": "" if shown is None else shown,
        "detail": detail,
        "version": version,
    }
    return Issue(
        file=file,
        severity=spec.severity,
        sheet=sheet,
        row=row,
        column=column,
        value=shown,
        rule=rule,
        message=spec.en.format(**fields, later=" or any later one" if later else ""),
        message_vi=spec.vi.format(**fields, later=" hoặc danh mục sau đó" if later else ""),
        cell=cell,
    )
