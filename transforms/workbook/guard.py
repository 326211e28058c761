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

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


def check_file(path: Path, file: str) -> Issue | None:
    """Return the issue that stops a file before parsing (type, size, zip bomb), or None."""
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
            with zipfile.ZipFile(path) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
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
    stop = check_file(path, file)
    if stop is not None:
        return OpenCheck(stop, {})
    if path.suffix.lower() in _ZIP_SUFFIXES:
        stop, extents = prescan(path, file)
        return OpenCheck(stop, extents)
    return OpenCheck(None, None)


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


def prescan(path: Path, file: str) -> tuple[Issue | None, dict[str, SheetExtent]]:
    """Stream every part of an .xlsx/.xlsm/.ods once; return the issue that stops the file
    (hostile content, damaged parts) or the extent of each sheet, by sheet name.

    Memory stays bounded whatever the file holds (64 KiB chunks, no tree is
    built) and a sheet's scan stops at the first value beyond the limits.
    """
    try:
        with zipfile.ZipFile(path) as zf:
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
            return None, _scan_xlsx(zf)
    except _Hostile as exc:
        return make_issue("file_hostile", file=file, detail=str(exc)), {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        # a bad CRC or a truncated part: zipfile stops at the declared size, so a
        # part whose headers lie about it fails here instead of unpacking on
        return make_issue("file_unreadable", file=file, detail=reason(exc, "damaged zip")), {}
    except (expat.ExpatError, UnicodeError) as exc:
        return make_issue(
            "file_unreadable", file=file, detail=f"damaged XML: {reason(exc, 'syntax')}"
        ), {}


def _chunks(zf: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _refuse_dtd(*_: object) -> None:
    raise _Hostile("an XML document type or entity declaration")


def _parse(
    zf: zipfile.ZipFile,
    name: str,
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


def _scan_xlsx(zf: zipfile.ZipFile) -> dict[str, SheetExtent]:
    names = set(zf.namelist())
    sheets: dict[str, str] = {}  # relationship id -> sheet name
    targets: dict[str, str] = {}  # relationship id -> part name

    def workbook_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid is not None and "name" in attrs:
                sheets[rid] = attrs["name"]

    def rels_start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and "Id" in attrs and "Target" in attrs:
            target = attrs["Target"].replace("\\", "/")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[attrs["Id"]] = posixpath.normpath(part)

    if "xl/workbook.xml" in names:
        _parse(zf, "xl/workbook.xml", workbook_start)
    if "xl/_rels/workbook.xml.rels" in names:
        _parse(zf, "xl/_rels/workbook.xml.rels", rels_start)
    by_part = {targets[rid]: name for rid, name in sheets.items() if rid in targets}
    extents: dict[str, SheetExtent] = {}
    unmapped = SheetExtent()
    for info in zf.infolist():
        part = info.filename
        if part.startswith("xl/worksheets/") and part.endswith(".xml"):
            extent = _quick_sheet_extent(zf, info) or _scan_xlsx_sheet(zf, part)
            if part in by_part:
                extents[by_part[part]] = extent
            else:
                unmapped = _wider(unmapped, extent)
        elif part.endswith((".xml", ".rels", ".vml")):
            if not _quick_part_ok(zf, info):
                _parse(zf, part)  # refuse a DTD anywhere, check the CRC
        else:
            for _ in _chunks(zf, part):  # check the CRC of binary parts
                pass
    for name in sheets.values():
        # a sheet whose part the scan could not pin down gets the widest extent seen
        extents.setdefault(name, unmapped)
    return extents


# The quick path reads a small part whole and decides with byte searches; anything
# it cannot vouch for (a formula, a cell without a reference, a large part) goes to
# the streaming expat scan. District sheets are tens of kilobytes: the quick path is
# the common one and costs a fraction of a millisecond.
_QUICK_MAX_BYTES = 4 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
# Excel, LibreOffice and xlsxwriter write `<c r="B7" ...>` and `<row r="7" ...>`; a file
# spelled otherwise (prefixes, attribute order) simply takes the full scan.
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """Return a part's bytes (CRC checked) when it is small enough to read whole."""
    if info.file_size > _QUICK_MAX_BYTES:
        return None
    data = zf.read(info)
    if any(marker in data for marker in _DTD_MARKERS):
        raise _Hostile("an XML document type or entity declaration")
    return data


def _quick_part_ok(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Return True when a small non-sheet part was read whole and holds no DTD."""
    return _read_small(zf, info) is not None


def _quick_sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> SheetExtent | None:
    """Return an upper bound of a small sheet's extent, or None to use the full scan."""
    data = _read_small(zf, info)
    if data is None or _FORMULA.search(data):
        return None
    columns = _CELL_COLUMN.findall(data)
    rows = _ROW_NUMBER.findall(data)
    opened = data.count(b"<c ") + data.count(b"<c>")
    if len(columns) != opened or len(rows) != data.count(b"<row ") + data.count(b"<row>"):
        return None  # a cell or row placed some other way: only the full scan can place it
    extent = SheetExtent(
        rows=max(map(int, rows), default=0),
        columns=max((column_index(col.decode()) + 1 for col in set(columns)), default=0),
        cells=len(columns),
    )
    # every cell counted, valued or merely styled: an upper bound; over a limit,
    # the full scan decides on the cells that hold values
    return None if extent.too_large else extent


def _wider(a: SheetExtent, b: SheetExtent) -> SheetExtent:
    return SheetExtent(
        rows=max(a.rows, b.rows),
        columns=max(a.columns, b.columns),
        cells=max(a.cells, b.cells),
        over=a.over or b.over,
    )


def _scan_xlsx_sheet(zf: zipfile.ZipFile, part: str) -> SheetExtent:
    extent = SheetExtent()
    # current row, current column, and the open cell: ref, type, formula?, value text
    state: dict[str, Any] = {"row": 0, "col": 0, "cell": None, "in_v": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "row":
            r = attrs.get("r", "")
            state["row"] = int(r) if r.isdigit() else state["row"] + 1
            state["col"] = 0
        elif local == "c":
            ref = attrs.get("r", "")
            letters, ref_row = split_ref(ref)
            if ref_row is not None:
                state["row"], state["col"] = ref_row, column_index(letters) + 1
            else:
                state["col"] += 1
                ref = f"{column_letter(state['col'] - 1)}{state['row']}"
            state["cell"] = {"ref": ref, "t": attrs.get("t", "n"), "f": False, "v": None}
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
        elif local == "c" and state["cell"] is not None:
            cell, state["cell"] = state["cell"], None
            value = cell["v"]
            if cell["f"] and not value and not (value == "" and cell["t"] == "str"):
                # no cached value (an empty one is only real for a text result)
                extent.formulas.append(cell["ref"])
            if cell["f"] or value is not None:
                extent.note(state["row"], state["col"])

    _parse(zf, part, start, end, text)  # stops quietly at a limit
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
