"""The pre-open guard: what must be true of a file before calamine may open it.

Hostile files are refused before calamine parses them: calamine holds a sheet
as a dense grid, so one value in cell XFD1048576 asks for hundreds of GB and
aborts the whole process. Every part of a zip-based workbook (.xlsx, .xlsm,
.ods) is therefore streamed once through expat first, in bounded memory:
DTD and entity declarations are refused (entity expansion), the CRC of every
part is checked (a zip whose headers lie about sizes), and the area each
sheet's values span is measured, stopping as soon as it is over the limit.
The same pass finds formulas without a cached value, which calamine returns
as empty cells.
"""

from __future__ import annotations

import contextlib
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any
from xml.parsers import expat

from transforms.validation.issues import Issue, make_issue
from transforms.workbook import contract as c
from transforms.workbook.columns import column_index, column_letter, split_ref

_ZIP_SUFFIXES = (".xlsx", ".xlsm", ".ods")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# A district has at most a few hundred communes and models; a sheet far
# taller than that is hostile or broken, and is not loaded into memory.
MAX_SHEET_ROWS = 20_000
# The rows x columns area a sheet's values span (calamine allocates all of it).
MAX_SHEET_CELLS = 2_000_000
# A workbook is a dozen parts; thousands are a crafted zip.
MAX_ZIP_MEMBERS = 1_000
# Formula cells without a value reported per sheet (the file is rejected anyway).
MAX_FORMULA_ISSUES = 20
_CHUNK = 1 << 16
# What reading a damaged member can raise besides zipfile.BadZipFile: a damaged
# deflate stream raises zlib.error, other methods their own errors, an unknown
# method NotImplementedError, a truncated stream EOFError.
DECOMPRESSION_ERRORS: tuple[type[Exception], ...] = (
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,
    RuntimeError,  # zipfile: an encrypted member without a password
    struct.error,
    OverflowError,
)
_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    ValueError,
    *DECOMPRESSION_ERRORS,
)


def check_file(path: Path, file: str, opened: zipfile.ZipFile | None = None) -> Issue | None:
    """Return the issue that stops a file before parsing (type, size, zip bomb), or None
    (`opened`: the file's zip, already open)."""
    suffix = path.suffix.lower()
    if suffix not in c.ACCEPTED_SUFFIXES:
        return make_issue("file_type", file=file, value=suffix or "(none)")
    size = path.stat().st_size
    if size == 0:
        return make_issue("file_empty", file=file)
    if size > c.MAX_FILE_BYTES:
        return make_issue(
            "file_too_large", file=file, value=_mb(size), detail=_mb(c.MAX_FILE_BYTES)
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix in _ZIP_SUFFIXES:
        if head == _OLE_MAGIC:
            # Excel saves a password-protected .xlsx as an OLE container holding
            # the streams EncryptionInfo and EncryptedPackage; any other OLE file
            # is an Excel 97-2003 workbook (or a Word file) under a wrong name.
            if _ENCRYPTION_STREAM in path.read_bytes():
                return make_issue("file_encrypted", file=file)
            return make_issue(
                "file_unreadable",
                file=file,
                detail=f"an Excel 97-2003 file named {suffix}: save it as .xlsx or .xls",
            )
        try:
            with contextlib.nullcontext(opened) if opened else zipfile.ZipFile(path) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        except _ZIP_ERRORS as exc:
            return make_issue("file_unreadable", file=file, detail=reason(exc, "not a zip"))
        if unpacked > c.MAX_UNPACKED_BYTES:
            return make_issue(
                "file_unpacked_too_large",
                file=file,
                value=_mb(unpacked),
                detail=_mb(c.MAX_UNPACKED_BYTES),
            )
    elif head != _OLE_MAGIC:
        return make_issue("file_unreadable", file=file, detail="not an Excel 97-2003 file")
    return None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def reason(exc: BaseException, fallback: str) -> str:
    """Return the first line of an exception's message (or the fallback), short enough to show."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else fallback
    return text[:120]


# --- checking a zip-based workbook before parsing --------------------------------------


@dataclass
class OpenCheck:
    """What may be done with a file: open it at all, and load which of its sheets."""

    stop: Issue | None  # not None: never open the file with calamine
    extents: dict[str, SheetExtent] | None  # None: not scanned (.xls), check after loading

    def may_load(self, sheet: str) -> bool:
        """Return True when calamine may load this sheet (a scanned sheet within limits)."""
        if self.stop is not None:
            return False
        if self.extents is None:
            return True  # .xls: bounded by the format; check total_height after loading
        extent = self.extents.get(sheet)
        return extent is not None and not extent.too_large


def check_before_opening(path: Path, file: str | None = None) -> OpenCheck:
    """Return whether a workbook may be opened with calamine and which sheets may be loaded.

    Every reader of district files (validation, feedback copies) calls this first:
    one value in cell XFD1048576 makes calamine abort the whole process.
    """
    file = file or path.name
    if path.suffix.lower() not in _ZIP_SUFFIXES:
        stop = check_file(path, file)
        return OpenCheck(stop, {}) if stop is not None else OpenCheck(prescan_xls(path, file), None)
    try:
        opened: zipfile.ZipFile | None = zipfile.ZipFile(path)
    except Exception:
        opened = None  # check_file says why
    with contextlib.closing(opened) if opened else contextlib.nullcontext():
        stop = check_file(path, file, opened)
        if stop is not None:
            return OpenCheck(stop, {})
        stop, extents = prescan(path, file, opened)
        return OpenCheck(stop, extents)


@dataclass
class SheetExtent:
    """What the scan saw of one sheet: the area its values span, formulas without values."""

    rows: int = 0  # last row holding a value (1-based), as calamine counts the sheet
    columns: int = 0  # last column holding a value (1-based)
    cells: int = 0  # cells holding a value or a formula
    formulas: list[str] = field(default_factory=list)  # refs of formulas without a value
    over: bool = False  # the scan stopped at a limit

    @property
    def too_large(self) -> bool:
        """Return True when loading the sheet would exceed the row or area limit."""
        return (
            self.over
            or self.rows > MAX_SHEET_ROWS
            or self.rows * self.columns > MAX_SHEET_CELLS
            or self.cells > MAX_SHEET_CELLS
        )

    def note(self, row: int, col: int, count: int = 1) -> None:
        """Record a value at (row, col), both 1-based; stop the scan once over a limit."""
        self.rows = max(self.rows, row)
        self.columns = max(self.columns, col)
        self.cells += count
        if self.too_large:
            self.over = True
            raise _OverLimit

    def span(self) -> str:
        """Return the area the values span, in words ("at least" when the scan stopped)."""
        area = f"{self.rows:,} rows x {self.columns:,} columns"
        return f"at least {area}" if self.over else area

    def issue(self, file: str, sheet: str) -> Issue:
        """Return the sheet_too_large issue for this sheet."""
        if self.rows > MAX_SHEET_ROWS:
            span = f"at least {self.rows:,} rows" if self.over else f"{self.rows:,} rows"
            limit = f"{MAX_SHEET_ROWS:,} rows"
        else:
            span = f"{self.rows:,} rows x {self.columns:,} columns"
            limit = f"{MAX_SHEET_CELLS:,} cells"
        return make_issue("sheet_too_large", file=file, sheet=sheet, value=span, detail=limit)

    def formula_issues(self, file: str, sheet: str) -> list[Issue]:
        """Return one formula_without_value issue per formula cell found (capped)."""
        out = []
        for ref in self.formulas[:MAX_FORMULA_ISSUES]:
            letters, row = split_ref(ref)
            out.append(
                make_issue(
                    "formula_without_value",
                    file=file,
                    sheet=sheet,
                    row=row,
                    column=letters,
                    cell=ref if row is not None else None,
                )
            )
        return out


class _OverLimit(Exception):
    """A sheet's scan reached a limit: nothing more needs to be read."""


class _Hostile(Exception):
    """A part holds what no spreadsheet program writes."""


def prescan(
    path: Path, file: str, opened: zipfile.ZipFile | None = None
) -> tuple[Issue | None, dict[str, SheetExtent]]:
    """Stream every part of an .xlsx/.xlsm/.ods once; return the issue that stops the file
    (hostile content, damaged parts) or the extent of each sheet, by sheet name.

    Memory stays bounded whatever the file holds (64 KiB chunks, no tree is
    built) and a sheet's scan stops at the first value beyond the limits.
    """
    try:
        with contextlib.nullcontext(opened) if opened else zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                return make_issue(
                    "file_hostile", file=file, detail=f"{len(infos):,} parts in the zip"
                ), {}
            if path.suffix.lower() == ".ods":
                # calamine parses every sheet of an .ods when it opens the file
                extents = _scan_ods(zf)
                for name, extent in extents.items():
                    if extent.too_large:
                        return extent.issue(file, name), extents
                return None, extents
            return _scan_xlsx(zf, file)
    except _Hostile as exc:
        return make_issue("file_hostile", file=file, detail=str(exc)), {}
    except _ZIP_ERRORS as exc:
        # a bad CRC, a damaged deflate stream or a truncated part: every member is
        # decompressed whole here, so whatever calamine would trip on fails first
        return make_issue("file_unreadable", file=file, detail=_zip_reason(exc)), {}
    except (expat.ExpatError, UnicodeError) as exc:
        return make_issue(
            "file_unreadable", file=file, detail=f"damaged XML: {reason(exc, 'syntax')}"
        ), {}


def _zip_reason(exc: BaseException) -> str:
    """Return what a damaged zip member means, in words (not zlib's)."""
    if isinstance(exc, zlib.error | lzma.LZMAError | EOFError | struct.error | OverflowError):
        return "a part of the file is damaged and cannot be unpacked"
    if isinstance(exc, NotImplementedError):
        return "a part of the file is packed in a way spreadsheet programs do not use"
    if isinstance(exc, RuntimeError):
        return "a part of the file is encrypted"
    return reason(exc, "damaged zip")


def _chunks(zf: zipfile.ZipFile, name: str | zipfile.ZipInfo) -> Iterator[bytes]:
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _refuse_dtd(*_: object) -> None:
    raise _Hostile("an XML document type or entity declaration")


def _parse(
    zf: zipfile.ZipFile,
    name: str | zipfile.ZipInfo,
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream one XML part through expat with the given handlers; refuse any DTD."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd  # type: ignore[assignment]
    parser.buffer_text = True
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        for chunk in _chunks(zf, name):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _OverLimit:
        return


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _scan_xlsx(zf: zipfile.ZipFile, file: str) -> tuple[Issue | None, dict[str, SheetExtent]]:
    """Return the issue that stops the file (or None) and the extent of each sheet by name.

    Every XML part is measured as a sheet would be, not only those under
    xl/worksheets/: calamine finds a sheet's part through the relationships, case
    blind, so a crafted file can point a sheet anywhere. Per-sheet extents are
    trusted only when each sheet points plainly at one existing part; otherwise
    every sheet gets the widest extent found, and any part over the limits stops
    the file.
    """
    names = set(zf.namelist())
    sheets: dict[str, str] = {}  # relationship id -> sheet name
    targets: dict[str, str] = {}  # relationship id -> target as written
    office_document: list[str] = []

    def workbook_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid is not None and "name" in attrs:
                sheets[rid] = attrs["name"]

    def rels_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and "Id" in attrs and "Target" in attrs:
            targets[attrs["Id"]] = attrs["Target"]

    if "_rels/.rels" in names:
        # calamine finds the workbook through it; only the plain target is trusted (a byte
        # search: the part is read again, DTD check included, with the others below)
        small = zf.getinfo("_rels/.rels").file_size < _CHUNK
        root = b"".join(_chunks(zf, "_rels/.rels")) if small else b""
        if root.count(b'/relationships/officeDocument"') == 1 and (
            b'Target="xl/workbook.xml"' in root or b'Target="/xl/workbook.xml"' in root
        ):
            office_document.append("xl/workbook.xml")
        else:
            office_document.append("?")
    if "xl/workbook.xml" in names:
        _parse(zf, "xl/workbook.xml", workbook_start)
    if "xl/_rels/workbook.xml.rels" in names:
        _parse(zf, "xl/_rels/workbook.xml.rels", rels_start)
    by_part: dict[str, str] = {}  # part -> sheet name, for sheets pointing plainly at a part
    plain = office_document in ([], ["xl/workbook.xml"], ["/xl/workbook.xml"])
    for rid, name in sheets.items():
        target = targets.get(rid)
        part = _sheet_part(target) if target is not None else None
        if part is None or part not in names or part in by_part:
            plain = False
        else:
            by_part[part] = name
    # two members of one name, or names equal but for case or slashes: which one
    # calamine reads is not ours to guess
    listed = zf.namelist()
    lowered = {n.replace("\\", "/").lower() for n in listed}
    plain = plain and len(lowered) == len(listed)
    parts: dict[str, SheetExtent] = {}
    for info in zf.infolist():
        part = info.filename
        if part in by_part or (not plain and part.endswith(".xml")):
            # a sheet's part; when sheets do not point plainly at their parts, any part
            # calamine could take for one
            extent = _quick_sheet_extent(zf, info) or _scan_xlsx_sheet(zf, info)
            parts[part] = _wider(parts[part], extent) if part in parts else extent
        elif part.endswith((".xml", ".rels", ".vml")):
            if not _quick_part_ok(zf, info):
                _scan_xlsx_sheet(zf, info)  # refuse a DTD anywhere, check the CRC and counts
        else:
            for _ in _chunks(zf, part):  # check the CRC of binary parts
                pass
    widest = SheetExtent()
    for extent in parts.values():
        widest = _wider(widest, extent)
    extents: dict[str, SheetExtent] = {}
    for part, extent in parts.items():
        if part in by_part and plain:
            extents[by_part[part]] = extent
        elif extent.too_large:
            # cells calamine could take for a sheet's, beyond every limit
            return make_issue(
                "file_hostile", file=file, detail=f"cells out of place spanning {extent.span()}"
            ), {}
    for name in sheets.values():
        # a sheet whose part the scan could not pin down gets the widest extent seen
        extents.setdefault(name, widest)
    return None, extents


def _sheet_part(target: str) -> str | None:
    """Return the part a sheet's relationship target names, as calamine resolves it, or
    None when the target is not a plain path (calamine would look elsewhere)."""
    if "\\" in target or any(step in ("", ".", "..") for step in target.lstrip("/").split("/")):
        return None
    return target[1:] if target.startswith("/") else f"xl/{target}"


# The quick path reads a small part whole and decides with byte searches; anything
# it cannot vouch for (a formula, a cell without a reference, a large part) goes to
# the streaming expat scan. District sheets are tens of kilobytes: the quick path is
# the common one and costs a fraction of a millisecond.
_QUICK_MAX_BYTES = 4 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
# What sends a part to the full scan: a formula (<f> or <x:f>), and cell, row or
# string-table elements written with a namespace prefix (<x:c ...>). Each pattern starts
# with one character of a small set, which the regex engine finds fast.
_FORMULA = re.compile(rb"[<:]f[\s>/]")
_PREFIXED = re.compile(rb":(?:c[\s>/]|row|sst)")
# Excel, LibreOffice and xlsxwriter write `<c r="B7" ...>` and `<row r="7" ...>`; a file
# spelled otherwise (prefixes, attribute order, lower case, leading zeros) simply takes
# the full scan.
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_CELL_OPEN = re.compile(rb"<c[\s>/]")
_ROW_NUMBER = re.compile(rb'<row r="([1-9][0-9]{0,6})"')
_ROW_OPEN = re.compile(rb"<row[\s>/]")
# a cell or row opened other than "<c " / "<c>" (each pattern starts with a literal)
_ODD_CELL = re.compile(rb"<c[\t\n\r/]")
_ODD_ROW = re.compile(rb"<row[\t\n\r/]")
_SST = re.compile(rb"<sst[\s>]")
_SST_COUNT = re.compile(rb'<sst\b[^>]*?\buniqueCount\s*=\s*["\']\s*([0-9]+)')


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Return a part's bytes (CRC checked) when it is small enough to read whole."""
    if info.file_size > _QUICK_MAX_BYTES:
        return None
    # in chunks: zipfile's read() of a whole member asks the OS for as many bytes as
    # the (maybe damaged) header says are packed, up to 2 GB at once
    data = b"".join(_chunks(zf, info))
    if any(marker in data for marker in _DTD_MARKERS):
        raise _Hostile("an XML document type or entity declaration")
    return data


def _quick_part_ok(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Return True when a small non-sheet part was read whole, holds no DTD and announces
    no more shared strings than it can hold."""
    data = _read_small(zf, info)
    return data is not None and _strings_ok(data, info)


def _strings_ok(data: bytes, info: zipfile.ZipInfo) -> bool:
    """Check a shared-strings table's announced count (raise when hostile); return False
    when it is spelled so that only the full scan can read it."""
    if b"sst" not in data:
        return True
    if b":sst" in data:
        return False
    if _SST.search(data):
        counts = _SST_COUNT.findall(data)
        if not counts and b"uniqueCount" in data:
            return False
        for count in counts:
            _check_strings_count(int(count), info)
    return True


def _check_strings_count(count: int, info: zipfile.ZipInfo) -> None:
    """Refuse a shared-strings table announcing more strings than its part can hold:
    calamine reserves room for every announced string before reading one."""
    if count > info.file_size // 4 + 1_000:
        raise _Hostile(f"a table of strings announcing {count:,} strings")


def _quick_sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetExtent | None:
    """Return an upper bound of a small part's extent, or None to use the full scan.

    Every cell counts by its own reference (calamine places a cell there, whatever
    its row element or the sheet's <dimension> say), valued or merely styled.
    """
    data = _read_small(zf, info)
    if data is None or not _strings_ok(data, info):
        return None
    if (b":c" in data or b":row" in data) and _PREFIXED.search(data):
        return None
    if b"<row" not in data and not _CELL_OPEN.search(data):
        return SheetExtent()  # no cell at all (styles, theme, properties, strings)
    formula = (b"<f" in data or b":f" in data) and _FORMULA.search(data)
    if formula or _ODD_CELL.search(data) or _ODD_ROW.search(data):
        return None
    refs = _CELL_REF.findall(data)
    rows = _ROW_NUMBER.findall(data)
    opened = data.count(b"<c ") + data.count(b"<c>")
    rows_opened = data.count(b"<row ") + data.count(b"<row>")
    if len(refs) != opened or len(rows) != rows_opened:
        return None  # a cell or row placed some other way: only the full scan can place it
    extent = SheetExtent(rows=_highest(rows, 7, b"0"), cells=len(refs))
    if refs:
        letters, numbers = zip(*refs, strict=True)
        extent.rows = max(extent.rows, _highest(numbers, 7, b"0"))
        extent.columns = column_index(_top(letters, 3, b"@").decode()) + 1
    # every cell counted, valued or merely styled: an upper bound; over a limit,
    # the full scan decides on the cells that hold values
    return None if extent.too_large else extent


def _top(values: Sequence[bytes], width: int, pad: bytes) -> bytes:
    """Return the largest of row numbers (no leading zero) or column letters, compared
    right-aligned (so "10" > "9", "AA" > "Z") without a Python loop over every cell."""
    return max(map(bytes.rjust, values, repeat(width), repeat(pad))).lstrip(pad)


def _highest(numbers: Sequence[bytes], width: int, pad: bytes) -> int:
    return int(_top(numbers, width, pad)) if numbers else 0


def _wider(a: SheetExtent, b: SheetExtent) -> SheetExtent:
    return SheetExtent(
        rows=max(a.rows, b.rows),
        columns=max(a.columns, b.columns),
        cells=max(a.cells, b.cells),
        over=a.over or b.over,
    )


_U32 = 0xFFFFFFFF


def ref_position(ref: str) -> tuple[int, int | None] | None:
    """Return the 1-based (row, column) calamine gives a reference (column None when the
    reference has no letters), or None when calamine refuses it.

    Mirrors calamine: letters of any case then digits, any length, in 32-bit
    arithmetic that wraps (so an absurdly long reference lands somewhere absurd).
    """
    col = row = 0
    i, n = 0, len(ref)
    while i < n and ref[i].isascii() and ref[i].isalpha():
        col = (col * 26 + ord(ref[i].upper()) - 64) & _U32
        i += 1
    if i == n or not ("0" <= ref[i] <= "9"):
        return None
    while i < n:
        if not ("0" <= ref[i] <= "9"):
            return None
        row = (row * 10 + ord(ref[i]) - 48) & _U32
        i += 1
    if row == 0:
        return None
    return row, (col if col else None)


def _scan_xlsx_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetExtent:
    extent = SheetExtent()
    # as calamine reads a sheet: the row index (from <row r> or counted), the column
    # index (from the last cell's reference, then counted), and the open cell
    state: dict[str, Any] = {"row": 1, "ref_row": 0, "col": 1, "cell": None, "in_v": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "row":
            at = ref_position(attrs["r"]) if "r" in attrs else None
            if at is not None:
                state["row"] = at[0]
            state["col"], state["ref_row"] = 1, 0
        elif local == "c":
            at = ref_position(attrs["r"]) if "r" in attrs else None
            if at is not None and at[1] is not None:
                row, state["col"] = at[0], at[1]
                state["ref_row"] = max(state["ref_row"], row)
            else:
                # calamine places it at the row and column it counts; a reference in
                # the same row may have moved it further down (be generous)
                row = max(state["row"], state["ref_row"])
            ref = f"{column_letter(state['col'] - 1)}{row}"
            state["cell"] = {
                "ref": ref,
                "row": row,
                "col": state["col"],
                "t": attrs.get("t", "n"),
                "f": False,
                "v": None,
            }
        elif local == "sst":
            count = next((v for k, v in attrs.items() if _local(k) == "uniqueCount"), "")
            if count.strip().isdigit():
                _check_strings_count(int(count.strip()), info)
        elif state["cell"] is not None:
            if local == "f":
                state["cell"]["f"] = True
            elif local == "v":
                state["cell"]["v"] = state["cell"]["v"] or ""
                state["in_v"] = True
            elif local == "is":
                state["cell"]["v"] = "inline"

    def text(data: str) -> None:
        if state["in_v"]:
            state["cell"]["v"] += data

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "v":
            state["in_v"] = False
        elif local == "row":
            state["row"] += 1
            state["col"] = 1
        elif local == "c" and state["cell"] is not None:
            cell, state["cell"] = state["cell"], None
            state["col"] += 1
            value = cell["v"]
            if cell["f"] and not value and not (value == "" and cell["t"] == "str"):
                # no cached value (an empty one is only real for a text result)
                extent.formulas.append(cell["ref"])
            if cell["f"] or value is not None:
                extent.note(cell["row"], cell["col"])

    _parse(zf, info, start, end, text)  # stops quietly at a limit
    return extent


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _repeat(attrs: dict[str, str], key: str) -> int:
    value = attrs.get(f"{_TABLE} {key}", "1")
    return int(value) if value.isdigit() else 1


def _scan_ods(zf: zipfile.ZipFile) -> dict[str, SheetExtent]:
    extents: dict[str, SheetExtent] = {}
    # the open table, row (start, repeat, has value, cells with value), cell
    state: dict[str, Any] = {"sheet": None, "row": 0, "col": 0, "cell": None}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(" ")
        if local[0] == _TABLE and local[2] == "table":
            extent = SheetExtent()
            extents.setdefault(attrs.get(f"{_TABLE} name", ""), extent)
            state.update(sheet=extent, row=0)
        elif state["sheet"] is None:
            return
        elif local[0] == _TABLE and local[2] == "table-row":
            state.update(
                row=state["row"] + 1,
                col=0,
                repeat=_repeat(attrs, "number-rows-repeated"),
                last_col=0,
                cells=0,
            )
        elif local[0] == _TABLE and local[2] in ("table-cell", "covered-table-cell"):
            state["cell"] = {
                "col": state["col"] + 1,
                "repeat": _repeat(attrs, "number-columns-repeated"),
                "formula": f"{_TABLE} formula" in attrs,
                "value": f"{_OFFICE} value-type" in attrs,
            }
        elif state["cell"] is not None:
            state["cell"]["value"] = True  # text:p or other content

    def end(tag: str) -> None:
        local = tag.rpartition(" ")
        if local[0] != _TABLE or state["sheet"] is None:
            return
        extent: SheetExtent = state["sheet"]
        if local[2] in ("table-cell", "covered-table-cell") and state["cell"] is not None:
            cell, state["cell"] = state["cell"], None
            state["col"] = cell["col"] + cell["repeat"] - 1
            if cell["formula"] and not cell["value"]:
                extent.formulas.append(f"{column_letter(cell['col'] - 1)}{state['row']}")
            if cell["value"] or cell["formula"]:
                state["last_col"] = state["col"]
                state["cells"] += cell["repeat"]
        elif local[2] == "table-row":
            last_row = state["row"] + state["repeat"] - 1
            if state["cells"]:
                extent.note(last_row, state["last_col"], state["cells"] * state["repeat"])
            state["row"] = last_row
        elif local[2] == "table":
            state["sheet"] = None

    names = set(zf.namelist())
    for part in zf.namelist():
        if part == "content.xml":
            continue
        if part.endswith((".xml", ".rdf")):
            _parse(zf, part)
        else:
            for _ in _chunks(zf, part):
                pass
    if "content.xml" in names:
        # stops at the first sheet over a limit: the file is refused, the rest is not needed
        _parse(zf, "content.xml", start, end)
    return extents


# --- checking an Excel 97-2003 (.xls) workbook before parsing ---------------------------
#
# calamine reads every sheet of an .xls when it opens the file, and trusts its
# numbers: the compound file's count of allocation sectors, the chains between
# sectors (a loop never ends), each sheet's DIMENSIONS record (it reserves rows x
# columns cells) and each cell's row and column (the sheet is a dense grid). The
# scan below walks the same structures, bounded by the file's own size.

_FREE_SECTOR = 0xFFFFFFFA  # ids from here on mark chain ends and special sectors
# BIFF records that place one cell (row and column are the first two u16 fields)
_XLS_CELLS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}
_XLS_MULRK = 0x00BD
_XLS_DIMENSIONS = 0x0200
_XLS_BOF, _XLS_EOF, _XLS_BOUNDSHEET = 0x0809, 0x000A, 0x0085


class _Damaged(Exception):
    """An .xls whose structure does not hold together."""


def prescan_xls(path: Path, file: str) -> Issue | None:
    """Return the issue that stops an .xls before calamine opens it, or None."""
    try:
        stream = _ole_stream(path.read_bytes(), ("workbook", "book"))
        if stream is None:
            return make_issue(
                "file_unreadable", file=file, detail="the workbook part of the file is missing"
            )
        for name, extent in _scan_biff(stream):
            if extent.too_large:
                return extent.issue(file, name)
    except _Hostile as exc:
        return make_issue("file_hostile", file=file, detail=str(exc))
    except (_Damaged, struct.error, IndexError, ValueError) as exc:
        detail = str(exc) if isinstance(exc, _Damaged) else "its structure is damaged"
        return make_issue("file_unreadable", file=file, detail=detail)
    return None


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """Return the first stream of an OLE compound file named one of `names` (case blind)."""
    if data[:8] != _OLE_MAGIC or len(data) < 512:
        raise _Damaged("not an Excel 97-2003 file")
    (sector_shift, mini_shift) = struct.unpack_from("<HH", data, 30)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise _Damaged("its structure is damaged")
    size = 1 << sector_shift
    sectors = len(data) // size  # every sector the file can hold
    fat_count, dir_start = struct.unpack_from("<II", data, 44)
    mini_cutoff, mini_start, mini_count, difat_start, difat_count = struct.unpack_from(
        "<IIIII", data, 56
    )
    if fat_count > sectors or mini_count > sectors or difat_count > sectors:
        raise _Hostile(f"an Excel 97-2003 file announcing {fat_count:,} allocation sectors")

    def sector(i: int) -> bytes:
        start = (i + 1) * size  # the header fills sector -1
        if start + size > len(data):  # calamine slices whole sectors: a cut one panics
            raise _Damaged("its structure is damaged (the file is cut short)")
        return data[start : start + size]

    difat = list(struct.unpack_from("<109I", data, 76))
    seen: set[int] = set()
    sid = difat_start
    while sid < _FREE_SECTOR:
        if sid in seen:
            raise _Hostile("an Excel 97-2003 file whose sector chain loops")
        seen.add(sid)
        block = sector(sid).ljust(size, b"\0")
        entries = struct.unpack_from(f"<{size // 4}I", block)
        difat.extend(entries[:-1])
        sid = entries[-1]
    fat: list[int] = []
    for sid in difat:
        if sid < _FREE_SECTOR:
            fat.extend(struct.unpack_from(f"<{size // 4}I", sector(sid).ljust(size, b"\0")))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        seen: set[int] = set()
        while start < _FREE_SECTOR:
            if start in seen or len(out) > limit:
                raise _Hostile("an Excel 97-2003 file whose sector chain loops")
            if start >= len(table):
                raise _Damaged("its structure is damaged (a broken sector chain)")
            seen.add(start)
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(i) for i in chain(dir_start, fat, sectors))
    listed = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not listed:
        raise _Damaged("its structure is damaged (no directory)")

    def entry(raw: bytes) -> tuple[str, int, int, int]:
        length = min(struct.unpack_from("<H", raw, 64)[0], 64)
        name = raw[: max(0, length - 2)].decode("utf-16-le", "replace")
        kind = raw[66]
        start, stream_size = struct.unpack_from("<IQ", raw, 116)
        return name, kind, start, stream_size

    _, _, root_start, _ = entry(listed[0])
    for raw in listed[1:]:
        name, kind, start, stream_size = entry(raw)
        if kind != 2 or name.lower() not in names:
            continue
        if sector_shift == 9:
            stream_size &= 0xFFFFFFFF  # version 3 files: the high half is undefined
        if stream_size > len(data):
            raise _Damaged("its structure is damaged (a part larger than the file)")
        if stream_size >= mini_cutoff:
            body = b"".join(sector(i) for i in chain(start, fat, sectors))
        else:
            mini_fat: list[int] = []
            for i in chain(mini_start, fat, sectors):
                mini_fat.extend(struct.unpack_from(f"<{size // 4}I", sector(i).ljust(size, b"\0")))
            ministream = b"".join(sector(i) for i in chain(root_start, fat, sectors))
            body = b"".join(
                ministream[i * 64 : i * 64 + 64] for i in chain(start, mini_fat, len(mini_fat))
            )
        if len(body) < stream_size:
            raise _Damaged("its structure is damaged (a part cut short)")
        return body[:stream_size]
    return None


def _scan_biff(stream: bytes) -> Iterator[tuple[str, SheetExtent]]:
    """Yield each substream's name and the extent calamine would give it (cells placed,
    and the room its DIMENSIONS record makes calamine reserve)."""
    names: dict[int, str] = {}
    pos, n = 0, len(stream)
    extent: SheetExtent | None = None
    depth = 0
    count = 0
    while pos + 4 <= n:
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        start, pos = pos, pos + 4 + length
        if kind == _XLS_BOF:
            depth += 1
            if depth == 1:
                count += 1
                extent = SheetExtent()
                name = names.get(start, f"sheet {count - 1}")
        elif kind == _XLS_EOF:
            if depth == 1 and extent is not None:
                yield name, extent
                extent = None
            depth = max(0, depth - 1)
        elif kind == _XLS_BOUNDSHEET and len(body) >= 8:
            names[struct.unpack_from("<I", body)[0]] = _boundsheet_name(body)
        if extent is None or kind in (_XLS_BOF, _XLS_EOF, _XLS_BOUNDSHEET):
            continue
        try:
            if kind in _XLS_CELLS and len(body) >= 4:
                row, col = struct.unpack_from("<HH", body)
                extent.note(row + 1, col + 1)
            elif kind == _XLS_MULRK and len(body) >= 6:
                row, first = struct.unpack_from("<HH", body)
                (last,) = struct.unpack_from("<H", body, len(body) - 2)
                extent.note(row + 1, max(first, last) + 1, max(1, last - first + 1))
            elif kind == _XLS_DIMENSIONS and len(body) in (10, 14):
                extent.note(*_reserved(body))
        except _OverLimit:
            yield name, extent
            return
    if extent is not None:
        yield name, extent


def _reserved(body: bytes) -> tuple[int, int]:
    """Return the rows and columns calamine reserves for a DIMENSIONS record."""
    if len(body) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", body)
    else:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", body)
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return 1, 1
    rows = ((last_row - 1 - first_row) & _U32) + 1
    cols = ((last_col - 1 - first_col) & _U32) + 1
    return rows, cols


def _boundsheet_name(body: bytes) -> str:
    """Return a BOUNDSHEET record's sheet name (BIFF8), best effort."""
    if len(body) < 8:
        return "sheet"
    length, flags = body[6], body[7] if len(body) > 7 else 0
    if flags & 1:
        return body[8 : 8 + 2 * length].decode("utf-16-le", "replace")
    return body[8 : 8 + length].decode("latin-1")
