"""Builders of hostile and broken district files, generated inside the tests.

Each `Case` writes one file and says which rule it must be rejected with (or
None for a file that must load). Files are crafted at the byte level from a
valid workbook written by `tests.workbooks.Book`, so only the one hostile
feature differs. Nothing here is big on disk: the million-row sheet is about
5 MB compressed, the zip bomb about 200 KB, the oversize file is sparse.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import xlwt

from tests.workbooks import Book
from transforms.workbook import contract as c

COMMUNES_SHEET = "Xã"  # the sheet names Book writes
INFO_SHEET = "Thông tin"
COMMUNES_PART = "xl/worksheets/sheet2.xml"  # Book writes info, communes, models in order
SQL_NAME = "'; drop table raw.communes; --"
SQL_MODEL = 'Robert"); DELETE FROM ops.submissions; --'
INVISIBLE_MARKS = {
    "zero-width-space": "\u200b",
    "left-to-right-mark": "\u200e",
    "right-to-left-mark": "\u200f",
    "right-to-left-override": "\u202e",
    "byte-order-mark": "\ufeff",
    "zero-width-joiner": "\u200d",
}


@dataclass(frozen=True)
class Case:
    """One hostile file: how to write it, the rule it must raise, where the message points."""

    name: str  # file name in the inbox
    rule: str | None  # expected rule code; None: the file must be accepted
    build: Callable[[Path], None]  # writes the file at the given path
    sheet: str | None = None  # the sheet the first issue of that rule names
    row: int | None = None  # the row it names
    column: str | None = None
    count: int = 1  # how many issues of that rule at least


# --- byte-level helpers ---------------------------------------------------------------


def good_bytes(district: str = "119", suffix: str = ".xlsx") -> bytes:
    """Return the bytes of a valid workbook of a district."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return Book(district=district).write(Path(tmp) / f"good{suffix}").read_bytes()


def rewrite_zip(src: bytes, dst: Path, edits: dict[str, Callable[[bytes], bytes]]) -> None:
    """Write dst as the zip src with some members' bytes transformed (others copied)."""
    import io

    with (
        zipfile.ZipFile(io.BytesIO(src)) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            if info.filename == "mimetype":  # .ods: first and stored
                zout.writestr(info, data, compress_type=zipfile.ZIP_STORED)
            else:
                zout.writestr(info.filename, data)


def _prolog(doctype: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        return re.sub(rb"^<\?xml[^>]*\?>", b'<?xml version="1.0"?>' + doctype, data, count=1)

    return edit


LAUGHS = (
    b"<!DOCTYPE lolz [<!ENTITY lol0 'lol'>"
    + b"".join(
        b"<!ENTITY lol%d '%s'>" % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10)))
        for i in range(1, 10)
    )
    + b"]>"
)
XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _first_text(entity: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        return data.replace(b"<t>", b"<t>" + entity, 1)

    return edit


def _both(*edits: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        for e in edits:
            data = e(data)
        return data

    return edit


def _append_rows(rows: Callable[[], bytes]) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        return data.replace(b"</sheetData>", rows() + b"</sheetData>", 1)

    return edit


def _million_rows() -> bytes:
    return b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(40, 1_000_040)
    )


# --- builders -------------------------------------------------------------------------


def not_a_spreadsheet(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")


def png_named_ods(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def truncated_zip(path: Path) -> None:
    data = good_bytes()
    path.write_bytes(data[: len(data) // 3])


def zip_without_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "báo cáo")


def empty_zip(path: Path) -> None:
    """A zip with no member at all (22 bytes; the demo's bad files hold the 0-byte file)."""
    with zipfile.ZipFile(path, "w"):
        pass


def encrypted_ooxml(path: Path) -> None:
    """An OLE compound file as Excel writes a password-protected .xlsx: its directory
    names the streams EncryptionInfo and EncryptedPackage (UTF-16LE)."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 24, 0x3E, 3, 0xFFFE)
    directory = bytearray(512)
    for i, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        directory[i * 128 : i * 128 + len(raw)] = raw
        struct.pack_into("<H", directory, i * 128 + 64, len(raw))
    path.write_bytes(bytes(header) + bytes(directory) + os.urandom(2048))


def xls_named_xlsx(path: Path) -> None:
    book = xlwt.Workbook()
    book.add_sheet("Xã").write(0, 0, "Mã xã")
    book.save(str(path))  # xlwt writes BIFF whatever the name


def oversize(path: Path) -> None:
    with path.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(c.MAX_FILE_BYTES + 1)
    with path.open("r+b") as fh:
        fh.write(good_bytes()[:4])  # starts like a zip


def zip_bomb(path: Path) -> None:
    """One member that unpacks past the limit: about 200 KB on disk."""
    chunk = b"0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf,
        zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh,
    ):
        for _ in range(c.MAX_UNPACKED_BYTES // len(chunk) + 8):
            fh.write(chunk)


def lying_zip(path: Path) -> None:
    """A member that unpacks to 50 MB while both its headers claim 1 KB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/sharedStrings.xml", b"<sst>" + b" " * (50 << 20) + b"</sst>")
    data = bytearray(path.read_bytes())
    name = b"xl/sharedStrings.xml"
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(name)] == name:
            struct.pack_into("<I", data, local + 22, 1024)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(name)] == name:
            struct.pack_into("<I", data, central + 24, 1024)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def many_parts(path: Path) -> None:
    rewrite_zip(good_bytes(), path, {})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        for i in range(1_200):
            zf.writestr(f"customXml/item{i}.xml", "<a/>")


def laughs_in_shared_strings(path: Path) -> None:
    rewrite_zip(
        good_bytes(),
        path,
        {"xl/sharedStrings.xml": _both(_prolog(LAUGHS), _first_text(b"&lol9;"))},
    )


def laughs_in_sheet(path: Path) -> None:
    def inline(data: bytes) -> bytes:
        return re.sub(
            rb'<c r="A1" t="s"><v>\d+</v></c>',
            b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>',
            data,
            count=1,
        )

    rewrite_zip(good_bytes(), path, {COMMUNES_PART: _both(_prolog(LAUGHS), inline)})


def external_entity(path: Path) -> None:
    rewrite_zip(
        good_bytes(),
        path,
        {"xl/sharedStrings.xml": _both(_prolog(XXE), _first_text(b"&xxe;"))},
    )


def damaged_sheet_xml(path: Path) -> None:
    rewrite_zip(
        good_bytes(),
        path,
        {COMMUNES_PART: lambda d: d.replace(b"</sheetData>", b"<row><c></row></sheetData>", 1)},
    )


def formula_without_value(path: Path) -> None:
    """A count cell holding a formula saved without its result, as openpyxl writes it."""
    Book().write(path)
    wb = openpyxl.load_workbook(path)
    wb[COMMUNES_SHEET]["H4"] = "=1+1"  # Tội phạm về trật tự xã hội, first commune
    wb[COMMUNES_SHEET]["H5"] = "=SUM(H6:H8)"
    wb.save(path)


def formula_without_value_ods(path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Book().write(Path(tmp) / "b.ods").read_bytes()

    def edit(data: bytes) -> bytes:
        # the info sheet's year value becomes a formula without a value
        return re.sub(
            rb'<table:table-cell office:value-type="float" office:value="2023"[^>]*>'
            rb"<text:p>2023</text:p></table:table-cell>",
            b'<table:table-cell table:formula="of:=2000+23"/>',
            data,
            count=1,
        )

    rewrite_zip(src, path, {"content.xml": edit})


def million_rows(path: Path) -> None:
    rewrite_zip(good_bytes(), path, {COMMUNES_PART: _append_rows(_million_rows)})


def far_cell(path: Path) -> None:
    """One value in the last cell Excel has: calamine would ask for 512 GB."""
    rows = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    rewrite_zip(good_bytes(), path, {COMMUNES_PART: _append_rows(lambda: rows)})


def wide_sheet(path: Path) -> None:
    rows = b'<row r="200"><c r="XFD200"><v>1</v></c></row>'
    rewrite_zip(good_bytes(), path, {COMMUNES_PART: _append_rows(lambda: rows)})


def cells_without_refs(path: Path) -> None:
    """A million cells with no r attribute, on rows without numbers."""
    rows = b"<row>" + b"<c><v>1</v></c>" * 2_100_000 + b"</row>"
    rewrite_zip(good_bytes(), path, {COMMUNES_PART: _append_rows(lambda: rows)})


def ods_repeated_row(path: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = Book().write(Path(tmp) / "b.ods").read_bytes()

    def edit(data: bytes) -> bytes:
        return data.replace(
            b"<table:table-row>", b'<table:table-row table:number-rows-repeated="1000000">', 1
        )

    rewrite_zip(src, path, {"content.xml": edit})


def invisible_marks_in_codes(path: Path) -> None:
    book = Book()
    for i, mark in enumerate(INVISIBLE_MARKS.values()):
        code = str(book.rows[i]["commune_code"])
        book.rows[i]["commune_code"] = code[:2] + mark + code[2:]
    book.write(path)


def rtl_mark_in_district_code(path: Path) -> None:
    Book(info={"Mã huyện": "\u200f119"}).write(path)


def fullwidth_digits_code(path: Path) -> None:
    book = Book()
    code = str(book.rows[0]["commune_code"])
    book.rows[0]["commune_code"] = code.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    book.write(path)


def count_past_integer_range(path: Path) -> None:
    book = Book()
    book.rows[0]["fires"] = 10**10
    book.write(path)


def sql_in_text_cells(path: Path) -> None:
    book = Book()
    book.rows[0]["commune_name"] = SQL_NAME
    book.models[0][2] = SQL_MODEL
    book.write(path)


def formula_text_in_cells(path: Path) -> None:
    """Text that looks like a formula (CSV/DDE injection) stays text."""
    book = Book(district="120")
    book.rows[0]["commune_name"] = "=cmd|' /C calc'!A0"
    book.models[0][2] = "@SUM(1+1)*cmd"
    book.write(path)


def zip_slip_member(path: Path) -> None:
    """A valid workbook carrying a member named ../../ (never extracted)."""
    rewrite_zip(good_bytes("118"), path, {})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("../../../../tmp/ntm-zip-slip.txt", "owned")


def _copy_of(district: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        Book(district=district).write(path)

    return build


# --- the corpus -----------------------------------------------------------------------

GOOD_DISTRICTS = ("116", "121", "122")  # of Sơn La, like Book's 119


def cases() -> list[Case]:
    """Return every hostile case of the corpus (the demo's bad files come on top)."""
    first_code_row = Book().excel_row(0)
    return [
        Case("h01-pdf-named-xlsx.xlsx", "file_unreadable", not_a_spreadsheet),
        Case("h02-png-named-ods.ods", "file_unreadable", png_named_ods),
        Case("h03-truncated-zip.xlsx", "file_unreadable", truncated_zip),
        Case("h04-zip-without-workbook.xlsx", "file_unreadable", zip_without_workbook),
        Case("h05-empty-zip.xlsm", "file_unreadable", empty_zip),
        Case("h06-password-protected.xlsx", "file_encrypted", encrypted_ooxml),
        Case("h07-xls-named-xlsx.xlsx", "file_unreadable", xls_named_xlsx),
        Case("h08-oversize.xlsx", "file_too_large", oversize),
        Case("h09-zip-bomb.xlsx", "file_unpacked_too_large", zip_bomb),
        Case("h10-zip-lying-about-sizes.xlsx", "file_unreadable", lying_zip),
        Case("h11-thousands-of-parts.xlsx", "file_hostile", many_parts),
        Case("h12-billion-laughs-shared-strings.xlsx", "file_hostile", laughs_in_shared_strings),
        Case("h13-billion-laughs-sheet.xlsx", "file_hostile", laughs_in_sheet),
        Case("h14-external-entity.xlsx", "file_hostile", external_entity),
        Case("h15-damaged-sheet-xml.xlsx", "file_unreadable", damaged_sheet_xml),
        Case(
            "h16-formula-without-value.xlsx",
            "formula_without_value",
            formula_without_value,
            sheet=COMMUNES_SHEET,
            row=first_code_row,
            column="H",
            count=2,
        ),
        Case(
            "h17-formula-without-value.ods",
            "formula_without_value",
            formula_without_value_ods,
            sheet=INFO_SHEET,
            row=3,
            column="B",
        ),
        Case("h18-million-rows.xlsx", "sheet_too_large", million_rows, sheet=COMMUNES_SHEET),
        Case("h19-cell-XFD1048576.xlsx", "sheet_too_large", far_cell, sheet=COMMUNES_SHEET),
        Case("h20-value-in-column-XFD.xlsx", "sheet_too_large", wide_sheet, sheet=COMMUNES_SHEET),
        Case(
            "h21-cells-without-refs.xlsx",
            "sheet_too_large",
            cells_without_refs,
            sheet=COMMUNES_SHEET,
        ),
        Case("h22-ods-row-repeated.ods", "sheet_too_large", ods_repeated_row, sheet=INFO_SHEET),
        Case(
            "h23-invisible-marks-in-codes.xlsx",
            "code_invalid",
            invisible_marks_in_codes,
            sheet=COMMUNES_SHEET,
            row=first_code_row,
            column=c.COMMUNES.column("commune_code").label,
            count=len(INVISIBLE_MARKS),
        ),
        Case(
            "h24-rtl-mark-in-district-code.xlsx",
            "info_invalid",
            rtl_mark_in_district_code,
            sheet=INFO_SHEET,
            row=2,
            column="Mã huyện",
        ),
        Case(
            "h25-fullwidth-digits-code.xlsx",
            "code_invalid",
            fullwidth_digits_code,
            sheet=COMMUNES_SHEET,
            row=first_code_row,
        ),
        Case(
            "h29-count-past-integer-range.xlsx",
            "count_too_large",
            count_past_integer_range,
            sheet=COMMUNES_SHEET,
            row=first_code_row,
            column=c.COMMUNES.column("fires").label,
        ),
        # must load: hostile text is data, not code
        Case("h26-sql-in-text-cells.xlsx", None, sql_in_text_cells),
        Case("h27-formula-text-in-cells.xlsx", None, formula_text_in_cells),
        Case("h28-zip-slip-member.xlsx", None, zip_slip_member),
        *(Case(f"good-{d}.xlsx", None, _copy_of(d)) for d in GOOD_DISTRICTS),
    ]


# File names that must be archived inside the archive folder and recorded as written.
ODD_NAMES = (
    "x'; drop table ops.submissions; --.xlsx",
    "Xã Phù Ninh (bản cuối).xlsx",  # NFC
    "Xa\u0303 Phu\u0300 Ninh.xlsx",  # NFD
    "a\\..\\..\\windows-style.xlsx",
    "name\nwith newline.xlsx",
    "a" * 200 + ".xlsx",
    "report.XLSX",
    "….xlsx",
    "no-suffix",
)
# Names the inbox leaves alone (hidden or temporary): never taken, never lost.
IGNORED_NAMES = ("..xlsx", "...", "..\\..\\evil.xlsx", ".~lock.book.xlsx#", "~$book.xlsx")
