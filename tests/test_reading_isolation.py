"""Reading a file can fail only that file: the isolated readers, and every crasher found.

Each crasher below was found by the fuzzer (bench/fuzz.py) or by the issue that
asked for it; each is generated here from a valid workbook, never committed as
a binary. Every one must come out rejected with one clear error, in a batch
whose good files are read as usual, and in one nightly run.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from ntm.settings import Settings
from tests.hostile import COMMUNES_PART, good_bytes, rewrite_zip
from tests.workbooks import Book
from transforms import pipeline
from transforms.validation import workers
from transforms.validation.validate import FileResult, validate_files
from transforms.workbook.guard import check_before_opening, ref_position

TECHNICAL = ("Traceback", "Exception", "Error(", "errno", "<class", "NoneType", "object at 0x")


# --- the worker pool ---------------------------------------------------------------------


def _behave(item: str) -> str:
    """A reader that misbehaves as told (module level: workers may import it)."""
    if item == "abort":
        os.abort()
    if item == "raise":
        raise KeyError("boom")
    if item == "slow":
        time.sleep(30)
    if item == "memory":
        hoard = bytearray(512 << 20)  # over the limit given below
        return str(len(hoard))
    if item == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if item == "native-oom":  # what Rust's allocator (calamine's) prints as it aborts
        os.write(2, b"memory allocation of 123456789 bytes failed\n")
        os.abort()
    return item.upper()


def test_a_reader_that_dies_fails_only_its_own_item_and_is_replaced():
    items = ["a", "abort", "b", "raise", "c", "slow", "d", "memory", "e", "kill", "f"]
    pool = workers.Pool(
        fn=_behave,
        on_failure=lambda item, failure: f"{item}:{failure.kind}",
        workers=2,
        limits=workers.Limits(memory_bytes=256 << 20, seconds=2),
    )
    started = time.monotonic()
    out = pool.map(items)
    # a process out of address space may also die in native code before it can answer
    assert out[7] in ("memory:memory", "memory:crash")
    out[7] = "memory:memory"
    assert out == [
        "A",
        "abort:crash",
        "B",
        "raise:error",
        "C",
        "slow:time",
        "D",
        "memory:memory",
        "E",
        "kill:memory",  # SIGKILL is what the kernel's out-of-memory killer sends
        "F",
    ]
    assert time.monotonic() - started < 20
    assert pool.stats.workers_started >= 2 + 4  # every dead worker was replaced


def test_a_reader_that_aborts_out_of_memory_in_native_code_is_told_from_a_crash():
    pool = workers.Pool(fn=_behave, on_failure=lambda item, failure: failure, workers=1)
    out = pool.map(["a", "native-oom", "b"])
    # read back from what the dying worker printed on its stderr
    assert out[1] == workers.Failure("memory", "123456789", signal.SIGABRT)
    assert out[0::2] == ["A", "B"]


def test_a_worker_that_cannot_be_started_leaves_nothing_open(monkeypatch):
    from multiprocessing import process

    def fails(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")  # fork under a process limit

    pool = workers.Pool(fn=_behave, on_failure=lambda item, failure: failure, workers=2)
    before = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(process.BaseProcess, "start", fails)
    for _ in range(5):
        with pytest.raises(OSError):
            pool.map(["a", "b"])
    assert len(os.listdir("/proc/self/fd")) == before


def _wait_for(path: str) -> str:
    """A reader that answers once the caller has written a file (module level, as above)."""
    deadline = time.monotonic() + 10
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    return "seen" if os.path.exists(path) else "not seen"


def test_what_the_caller_does_meanwhile_runs_once_while_the_workers_read(tmp_path):
    signal_file = str(tmp_path / "meanwhile-ran")
    calls: list[int] = []

    def meanwhile() -> None:
        # the workers already hold their files: they wait for this very call
        calls.append(len(workers.mp.active_children()))
        Path(signal_file).write_text("ran")

    pool = workers.Pool(fn=_wait_for, on_failure=lambda item, failure: failure.kind, workers=2)
    assert pool.map([signal_file] * 3, meanwhile=meanwhile) == ["seen"] * 3
    assert len(calls) == 1 and calls[0] >= 1


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_workers_die_with_the_process_that_started_them_and_leave_no_file(method, tmp_path):
    import subprocess
    import sys

    from ntm.supervise import descendants

    code = (
        "import time\n"
        "from transforms.validation import workers\n"
        "workers.Pool(fn=time.sleep, on_failure=lambda i, f: None, workers=2).map([60, 60])\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "NTM_READ_START_METHOD": method, "TMPDIR": str(tmp_path)},
    )
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(seen) < 2 + (method == "forkserver"):
            seen.update(descendants(child.pid))
            time.sleep(0.1)
        assert len(seen) >= 2, seen
        child.kill()
        child.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in seen):
            time.sleep(0.1)
        assert not [p for p in seen if _alive(p)]
        # the workers' stderr files have no name: a killed run leaves none in /tmp
        assert not list(tmp_path.glob("ntm-*"))
    finally:
        child.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --- crashers, each generated from a valid workbook -------------------------------------


def _sheet_edit(edit: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        rewrite_zip(good_bytes(), path, {COMMUNES_PART: edit})

    return build


def _append(rows: bytes) -> Callable[[bytes], bytes]:
    return lambda data: data.replace(b"</sheetData>", rows + b"</sheetData>", 1)


def one_far_cell_inside_a_small_dimension(path: Path) -> None:
    """The issue's file: <dimension> says A1:Z37, one cell sits at XFD1048576 in row 37."""

    def edit(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:Z37"', data)
        return _append(b'<row r="37"><c r="XFD1048576"><v>1</v></c></row>')(data)

    rewrite_zip(good_bytes(), path, {COMMUNES_PART: edit})


def damaged_deflate_stream(path: Path) -> None:
    """One wrong byte in a member's deflate stream: zipfile raises zlib.error."""
    data = bytearray(good_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(COMMUNES_PART)
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start] = 0xFF  # block type 3: "invalid block type"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(zlib.error):
        zf.read(COMMUNES_PART)


def strings_table_announcing_a_billion(path: Path) -> None:
    """calamine reserves uniqueCount strings before reading one: 24 GB, then abort."""
    rewrite_zip(
        good_bytes(),
        path,
        {
            "xl/sharedStrings.xml": lambda d: re.sub(
                rb'uniqueCount="\d+"', b'uniqueCount="999999999"', d
            )
        },
    )


def lower_case_far_reference(path: Path) -> None:
    """calamine reads "c60000" as C60000; the quick path only knew upper case."""
    _sheet_edit(_append(b'<row r="40"><c r="c60000"><v>1</v></c></row>'))(path)


def reference_too_long_for_the_quick_path(path: Path) -> None:
    """An 8-digit row: calamine places the cell there, the old full scan ignored it."""
    _sheet_edit(_append(b'<row r="40"><c r="A99999999"><v>1</v></c></row>'))(path)


def prefixed_cell_elements(path: Path) -> None:
    """Cells written as <x:c>: calamine matches local names, the byte search did not."""
    rows = (
        b'<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="40">'
        b'<x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    )
    _sheet_edit(_append(rows))(path)


def cell_without_reference_in_a_far_row(path: Path) -> None:
    _sheet_edit(_append(b'<row r="99999999"><c><v>1</v></c></row>'))(path)


def sheet_part_outside_worksheets(path: Path) -> None:
    """The communes sheet's part moved to xl/data/: only xl/worksheets/ was measured."""
    src = good_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            name = info.filename
            if name == COMMUNES_PART:
                name = "xl/data/sheet2.xml"
                body = _append(b'<row r="37"><c r="XFD1048576"><v>1</v></c></row>')(body)
            elif name == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"worksheets/sheet2.xml", b"data/sheet2.xml")
            elif name == "[Content_Types].xml":
                body = body.replace(b"/xl/worksheets/sheet2.xml", b"/xl/data/sheet2.xml")
            zout.writestr(name, body)


def two_members_of_one_name(path: Path) -> None:
    """The communes part twice: the first with a far cell, the second harmless. Which one
    calamine reads is not the guard's to guess; the later one used to hide the first."""
    src = good_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == COMMUNES_PART:
                far = _append(b'<row r="37"><c r="XFD1048576"><v>1</v></c></row>')(body)
                with pytest.warns(UserWarning, match="Duplicate name"):
                    zout.writestr(COMMUNES_PART, far)
                    zout.writestr(COMMUNES_PART, body)
            else:
                zout.writestr(info.filename, body)


def date_no_calendar_has(path: Path) -> None:
    """A date cell holding -1e308: calamine panics converting it (PanicException)."""
    src_path = path.with_name("dated.xlsx")
    Book(info={"Ngày lập": dt.date(2024, 1, 15)}).write(src_path)
    serial = str((dt.date(2024, 1, 15) - dt.date(1899, 12, 30)).days).encode()
    rewrite_zip(
        src_path.read_bytes(),
        path,
        {"xl/worksheets/sheet1.xml": lambda d: d.replace(b"<v>" + serial, b"<v>-1e308", 1)},
    )
    src_path.unlink()


def member_claiming_two_gigabytes_packed(path: Path) -> None:
    """A central directory whose compressed size says 2 GB: zipfile's read() of the whole
    member asked the OS for 2 GB at once (MemoryError under the reader's limit)."""
    data = bytearray(good_bytes())
    for at in [m.start() for m in re.finditer(rb"PK\x01\x02", bytes(data))]:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == COMMUNES_PART.encode():
            struct.pack_into("<I", data, at + 20, 0x7FFFFFFF)  # compressed size
            struct.pack_into("<H", data, at + 10, 0)  # stored: read as is
    path.write_bytes(bytes(data))


# .xls


def _xls(path: Path) -> bytes:
    Book().write(path)
    return path.read_bytes()


def _workbook_stream_offsets(data: bytes) -> list[int]:
    """Return the file offset of each byte of the Workbook stream (xlwt writes it whole)."""
    size = 512
    fat: list[int] = []
    for sid in struct.unpack_from("<109I", data, 76):
        if sid < 0xFFFFFFFA:
            fat.extend(struct.unpack_from("<128I", data, (sid + 1) * size))
    directory = b""
    sid = struct.unpack_from("<I", data, 48)[0]
    while sid < 0xFFFFFFFA:
        directory += data[(sid + 1) * size : (sid + 2) * size]
        sid = fat[sid]
    for i in range(0, len(directory), 128):
        entry = directory[i : i + 128]
        if entry[:16].decode("utf-16-le", "replace").lower().startswith("workbook"):
            sid, length = struct.unpack_from("<II", entry, 116)
            out = []
            while sid < 0xFFFFFFFA:
                out.extend(range((sid + 1) * size, (sid + 2) * size))
                sid = fat[sid]
            return out[:length]
    raise AssertionError("no Workbook stream")


def _patch_records(path: Path, kind: int, patch: Callable[[bytearray, int], None]) -> None:
    """Patch every BIFF record of one kind in an .xls written by Book."""
    data = bytearray(_xls(path))
    offsets = _workbook_stream_offsets(bytes(data))
    stream = bytearray(data[p] for p in offsets)
    pos = 0
    while pos + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, pos)
        if record == kind:
            patch(stream, pos + 4)
        pos += 4 + length
    for p, byte in zip(offsets, stream, strict=True):
        data[p] = byte
    path.write_bytes(bytes(data))


def xls_dimensions_huge(path: Path) -> None:
    """DIMENSIONS says 65,535 rows x 255 columns: calamine reserves them all first."""

    def patch(stream: bytearray, at: int) -> None:
        struct.pack_into("<IIHH", stream, at, 0, 0xFFFF, 0, 0xFF)

    _patch_records(path, 0x0200, patch)


def xls_cell_in_a_far_column(path: Path) -> None:
    """A text cell (LABELSST) at column 65,535 and row 65,535: a 4-billion-cell grid."""

    def patch(stream: bytearray, at: int) -> None:
        struct.pack_into("<HH", stream, at, 0xFFFF, 0xFFFF)

    _patch_records(path, 0x00FD, patch)


def xls_announcing_a_billion_fat_sectors(path: Path) -> None:
    data = bytearray(_xls(path))
    struct.pack_into("<I", data, 44, 0x3FFFFFFF)  # calamine: Vec::with_capacity(fat_len)
    path.write_bytes(bytes(data))


def xls_cut_inside_its_directory(path: Path) -> None:
    """Truncated in the directory sector: calamine panicked slicing a 128-byte entry."""
    data = _xls(path)
    directory = struct.unpack_from("<I", data, 48)[0]
    path.write_bytes(data[: (directory + 1) * 512 + 200])


CRASHERS: dict[str, tuple[Callable[[Path], None], str]] = {
    "one-far-cell-small-dimension.xlsx": (one_far_cell_inside_a_small_dimension, "sheet_too_large"),
    "damaged-deflate.xlsx": (damaged_deflate_stream, "file_unreadable"),
    "billion-shared-strings.xlsx": (strings_table_announcing_a_billion, "file_hostile"),
    "lower-case-far-ref.xlsx": (lower_case_far_reference, "sheet_too_large"),
    "eight-digit-row-ref.xlsx": (reference_too_long_for_the_quick_path, "sheet_too_large"),
    "prefixed-cells.xlsm": (prefixed_cell_elements, "sheet_too_large"),
    "far-row-without-refs.xlsx": (cell_without_reference_in_a_far_row, "sheet_too_large"),
    "sheet-outside-worksheets.xlsx": (sheet_part_outside_worksheets, "sheet_too_large"),
    "two-members-one-name.xlsx": (two_members_of_one_name, "file_hostile"),
    "impossible-date.xlsx": (date_no_calendar_has, "file_unreadable"),
    "member-claiming-2-gb.xlsx": (member_claiming_two_gigabytes_packed, "file_unreadable"),
    "xls-huge-dimensions.xls": (xls_dimensions_huge, "sheet_too_large"),
    "xls-far-cell.xls": (xls_cell_in_a_far_column, "sheet_too_large"),
    "xls-billion-fat-sectors.xls": (xls_announcing_a_billion_fat_sectors, "file_hostile"),
    "xls-cut-in-directory.xls": (xls_cut_inside_its_directory, "file_unreadable"),
}


@pytest.fixture(scope="module")
def crashers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crashers")
    out = {}
    for name, (build, _) in CRASHERS.items():
        build(folder / name)
        out[name] = folder / name
    return out


def _one_clear_error(result: FileResult, rule: str) -> None:
    assert not result.accepted
    assert [i.rule for i in result.errors][:1] == [rule], [i.message for i in result.issues]
    message = result.errors[0].message
    assert message and not any(word in message for word in TECHNICAL), message


@pytest.mark.parametrize("name", list(CRASHERS))
def test_each_crasher_is_refused_before_calamine_allocates(name, crashers):
    rule = CRASHERS[name][1]
    if rule in ("sheet_too_large", "file_hostile") or name.startswith("xls-cut"):
        guard = check_before_opening(crashers[name])
        refused = guard.stop is not None or any(e.too_large for e in (guard.extents or {}).values())
        assert refused, name
    (result,) = validate_files([crashers[name]])
    _one_clear_error(result, rule)
    assert not result.reader_failed  # refused by the guard or the reader, not by a crash


def test_a_batch_of_crashers_and_good_files_reads_every_good_file(crashers, tmp_path):
    good = [Book(district=d).write(tmp_path / f"good-{d}.xlsx") for d in ("116", "118", "119")]
    paths = [good[0], *crashers.values(), good[1], good[2]]
    results = validate_files(paths)
    assert [r.accepted for r in results] == [True] + [False] * len(crashers) + [True, True]
    for result, (_, rule) in zip(results[1:-2], CRASHERS.values(), strict=True):
        _one_clear_error(result, rule)


def test_one_nightly_run_loads_the_good_files_and_rejects_every_crasher(crashers, tmp_path):
    import duckdb

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    for d in ("116", "118", "119"):
        Book(district=d).write(settings.inbox / f"good-{d}.xlsx")
    for name, path in crashers.items():
        (settings.inbox / name).write_bytes(path.read_bytes())
    summary = pipeline.run_once(settings, "crashers")
    assert summary.count("accepted") == 3
    assert summary.count("rejected") == len(crashers)
    assert list(settings.inbox.iterdir()) == []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rules = dict(
            con.execute(
                "select s.file_name, min(i.rule) from ops.submissions s"
                " join ops.validation_issues i using (submission_id)"
                " where i.severity = 'error' group by 1"
            ).fetchall()
        )
    assert set(rules) == set(crashers)


def test_validate_json_is_complete_and_exits_2_when_readers_run_out_of_time(crashers, tmp_path):
    import json
    import subprocess
    import sys

    ntm = str(Path(sys.executable).with_name("ntm"))
    good = Book().write(tmp_path / "good.xlsx")
    files = [str(good), *map(str, crashers.values())]
    done = subprocess.run(
        [ntm, "validate", "--json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NTM_READ_SECONDS": "0.000001"},
    )
    assert done.returncode == 2, done.stderr
    issues = json.loads(done.stdout)
    # every crasher is reported; the good file is too, unless its answer was there when the
    # time was up (it counts as answered then, and has nothing to report)
    reported = {i["file"] for i in issues}
    assert reported - {good.name} == {Path(f).name for f in crashers.values()}
    assert all("took longer than" in i["message"] for i in issues if i["file"] == good.name)
    # a file whose answer is already there when the time is up counts as answered (the
    # first files are read while the command imports its schemas): the others ran out
    assert sum("took longer than" in i["message"] for i in issues) >= 1
    assert all(i["rule"] and i["message"] for i in issues)


def test_validate_json_with_every_crasher_and_a_good_file(crashers, tmp_path):
    import json
    import subprocess
    import sys

    ntm = str(Path(sys.executable).with_name("ntm"))
    good = Book().write(tmp_path / "good.xlsx")
    done = subprocess.run(
        [ntm, "validate", "--json", str(good), *map(str, crashers.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    issues = json.loads(done.stdout)
    by_file: dict[str, set[str]] = {}
    for issue in issues:
        by_file.setdefault(issue["file"], set()).add(issue["rule"])
    assert "good.xlsx" not in by_file
    for name, (_, rule) in CRASHERS.items():
        assert rule in by_file[name], (name, by_file.get(name))


def test_reference_positions_follow_calamine():
    assert ref_position("A1") == (1, 1)
    assert ref_position("xfd1048576") == (1048576, 16384)
    assert ref_position("A99999999999") == (99999999999 & 0xFFFFFFFF, 1)
    assert ref_position("$A$1") is None  # calamine refuses it: the sheet is unreadable
    assert ref_position("A0") is None
    assert ref_position("7") == (7, None)


def test_a_file_whose_copy_the_feedback_writer_refuses_still_gets_feedback(tmp_path):
    """Found by the fuzzer's nightly run: an .ods count cell holding inf (or NaN) is read as a
    float; copying it into the feedback workbook raised in xlsxwriter after the commit."""
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book(district="116").write(settings.inbox / "good.xlsx")
    rewrite_zip(
        good_bytes(suffix=".ods"),
        settings.inbox / "nan.ods",
        {"content.xml": lambda d: d.replace(b'office:value="0"', b'office:value="inf"', 1)},
    )
    summary = pipeline.run_once(settings, "nan")
    assert summary.count("accepted") == 1 and summary.count("rejected") == 1
    feedback = list(settings.feedback.glob("*nan.feedback.xlsx"))
    assert len(feedback) == 1


def test_a_file_name_that_is_not_utf8_is_read(tmp_path):
    """calamine takes text paths only: `ntm validate` on a name from another code page
    reported the file missing."""
    name = os.fsdecode(b"B\xe1o c\xe1o.xlsx")  # Latin-1 bytes, not UTF-8
    path = Book().write(tmp_path / "ok.xlsx").rename(tmp_path / name)
    (result,) = validate_files([path])
    assert result.accepted, [i.message for i in result.issues]


def test_the_readers_forkserver_loads_the_reader_and_registry_but_neither_pandera_nor_dask():
    # what the forkserver preloads is what every run's first batch waits for; pandera
    # (checking rows, done in the run's own process) and its optional integrations are
    # not needed to read a file
    probe = (
        "import sys, transforms.validation.preload as p; "
        "print(sorted(m for m in ('pandera', 'dask', 'hypothesis', 'python_calamine')"
        " if sys.modules.get(m) is not None))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["['python_calamine']"]


def _collector_state(_: object) -> tuple[tuple[int, int, int], int]:
    """What a reader worker's garbage collector is set to (module level: workers import it)."""
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def test_readers_collect_garbage_less_often_and_never_walk_what_the_forkserver_loaded(
    monkeypatch,
):
    from transforms.collector import THRESHOLDS

    monkeypatch.setenv("NTM_READ_START_METHOD", "forkserver")
    pool = workers.Pool(fn=_collector_state, on_failure=lambda item, failure: failure, workers=1)
    [(thresholds, frozen)] = pool.map([None])
    assert thresholds == THRESHOLDS
    assert frozen > 50_000  # the libraries and the registry versions the readers share
