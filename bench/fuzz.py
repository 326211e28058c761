"""`make fuzz`: mutated copies of valid workbooks, through the validator and one nightly run.

Writes valid district workbooks in the four accepted formats (.xlsx, .xlsm,
.xls, .ods), then mutates copies of them, one to three mutations each: cell
values and types, cell references, rows removed or repeated, broken XML,
shared strings, bytes of the zip or of the .xls records, truncation, members
removed. Every mutant goes through `validate` (read in isolated workers, then
checked as a batch), and must come out accepted, or rejected with at least one
error that has a rule and a message. Anything else is a crash: an exception
out of the validator, or a result without a verdict. A mutant whose reader
died (native crash, memory, time) is rejected all the same, and counted apart
as "reader failures": the guard should have refused it before opening.

Every crasher and every reader failure is kept, named by seed, number,
mutations and outcome, in the crashers folder. Finally one nightly run
(`transforms.pipeline.run_once` on a temporary NTM_HOME) takes the good files,
every kept crasher and a sample of mutants together, and must load every good
file and reject every crasher.

    python -m bench.fuzz [--count 10000] [--seed 1] [--crashers DIR]

Prints figures; exits 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import random
import re
import resource
import shutil
import struct
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRASHERS = HERE / "out" / "fuzz" / "crashers"
FORMATS = (".xlsx", ".xlsm", ".xls", ".ods")
DISTRICTS = ("119", "116", "001", "040", "271")  # Sơn La, Hà Nội, Nghệ An, Hà Tĩnh
BATCH = 400

# --- valid seeds ---------------------------------------------------------------------


def write_seeds(folder: Path, seed: int) -> list[Path]:
    """Write valid workbooks of every format (a few districts and layouts) into folder."""
    from transforms.demo.generate import Layout, build_submission, render_sheets
    from transforms.workbook.writer import write_workbook

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for district in DISTRICTS:
        sub = build_submission(district, 2023, seed)
        for suffix in FORMATS:
            layout = Layout(
                fmt=suffix[1:],
                title_rows=rng.choice((0, 1, 2)),
                start_col=rng.choice((0, 0, 1)),
                codes_as_numbers=rng.random() < 0.3,
                tick_marks=rng.random() < 0.3,
                total_row=rng.random() < 0.3,
            )
            path = folder / f"good-{district}{suffix}"
            # fixed document and zip times: the same seed gives the same bytes, and so the
            # same mutants, on every run
            write_workbook(path, render_sheets(sub, layout), created=dt.datetime(2024, 1, 15))
            out.append(path)
    return out


# --- mutations -----------------------------------------------------------------------

FAR_REFS = (
    "XFD1048576",
    "A1048576",
    "XFD1",
    "ZZZ99",
    "A99999999999",
    "a7",
    "$B$7",
    "A0",
    "7",
    "",
    "AB",
    "B-3",
    "C20001",
    "IV65536",
)
ODD_VALUES = (
    "",
    "-1",
    "2.5",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "inf",
    "99999999999999999999999",
    "0x1F",
    "abc",
    "Có",
    "\u202e119",
    "  3  ",
    "１２",
    "=SUM(A1)",
    "45000.5",
    "-0",
    "9" * 400,
    "x" * 5000,
)
CELL_TYPES = ("s", "n", "str", "b", "e", "inlineStr", "d", "x", "")
ODS_TYPES = ("float", "string", "boolean", "date", "time", "currency", "percentage", "bogus", "")


@dataclass
class Mutant:
    data: bytes
    names: list[str] = field(default_factory=list)


def _sheet_parts(zf: zipfile.ZipFile, suffix: str) -> list[str]:
    if suffix == ".ods":
        return ["content.xml"]
    return [n for n in zf.namelist() if n.startswith("xl/worksheets/")] or zf.namelist()


def _members(data: bytes) -> dict[str, bytes] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {i.filename: zf.read(i) for i in zf.infolist()}
    except Exception:
        return None  # already broken by an earlier mutation: only byte mutations apply


def _rezip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members.items():
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name, (2023, 1, 1, 0, 0, 0)), body, compress_type=method)
    return buf.getvalue()


def _sub_random(rng: random.Random, pattern: bytes, body: bytes, repl: Callable) -> bytes:
    """Replace one random match of pattern in body by repl(match)."""
    found = list(re.finditer(pattern, body, re.S))
    if not found:
        return body
    m = rng.choice(found)
    return body[: m.start()] + repl(m) + body[m.end() :]


def _xml_mutation(rng: random.Random, kind: str, part: str, body: bytes, ods: bool) -> bytes:
    enc = lambda s: s.encode("utf-8", "surrogatepass")  # noqa: E731
    if kind == "cell_value":
        if ods:
            return _sub_random(
                rng,
                rb'office:value="[^"]*"|<text:p>[^<]*</text:p>',
                body,
                lambda m: (
                    b'office:value="' + enc(rng.choice(ODD_VALUES)) + b'"'
                    if m.group().startswith(b"office")
                    else b"<text:p>" + enc(rng.choice(ODD_VALUES)) + b"</text:p>"
                ),
            )
        return _sub_random(
            rng, rb"<v>[^<]*</v>", body, lambda m: b"<v>" + enc(rng.choice(ODD_VALUES)) + b"</v>"
        )
    if kind == "cell_type":
        if ods:
            return _sub_random(
                rng,
                rb'office:value-type="[^"]*"',
                body,
                lambda m: b'office:value-type="' + enc(rng.choice(ODS_TYPES)) + b'"',
            )
        return _sub_random(
            rng,
            rb'<c r="[^"]*"(?: t="[^"]*")?',
            body,
            lambda m: (
                re.sub(rb' t="[^"]*"', b"", m.group())
                + b' t="'
                + enc(rng.choice(CELL_TYPES))
                + b'"'
            ),
        )
    if kind == "cell_ref":
        if ods:
            attr = rng.choice((b"number-columns-repeated", b"number-rows-repeated"))
            value = rng.choice((b"2", b"300", b"16384", b"1048576", b"99999999999", b"0", b"-1"))
            return _sub_random(
                rng,
                rb"<table:table-(?:cell|row)\b",
                body,
                lambda m: m.group() + b" table:" + attr + b'="' + value + b'"',
            )
        if rng.random() < 0.3:
            return _sub_random(
                rng,
                rb'<row r="[^"]*"',
                body,
                lambda m: b'<row r="' + enc(rng.choice(("1048576", "99999999", "0", "x"))) + b'"',
            )
        return _sub_random(
            rng, rb'<c r="[^"]*"', body, lambda m: b'<c r="' + enc(rng.choice(FAR_REFS)) + b'"'
        )
    if kind in ("row_removed", "row_repeated"):
        pattern = rb"<table:table-row\b.*?</table:table-row>" if ods else rb"<row\b.*?</row>"
        times = 0 if kind == "row_removed" else rng.choice((2, 3, 50))
        return _sub_random(rng, pattern, body, lambda m: m.group() * times)
    if kind == "dimension":
        return _sub_random(
            rng,
            rb'<dimension ref="[^"]*"',
            body,
            lambda m: (
                b'<dimension ref="' + enc(rng.choice(("A1:XFD1048576", "A1", "Z9:A1"))) + b'"'
            ),
        )
    if kind == "shared_strings":
        choice = rng.randrange(4)
        if choice == 0:
            return _sub_random(
                rng,
                rb'uniqueCount="\d+"',
                body,
                lambda m: b'uniqueCount="' + enc(rng.choice(("0", "1", "999999999", "-5"))) + b'"',
            )
        if choice == 1:
            return _sub_random(rng, rb"<si>.*?</si>", body, lambda m: b"")
        if choice == 2:
            junk = rng.choice(("\x01", "\ud800", "&bogus;", "<", "\u0000", "Xã" * 3000))
            return _sub_random(rng, rb"<t>[^<]*</t>", body, lambda m: b"<t>" + enc(junk) + b"</t>")
        return _sub_random(
            rng,
            rb'<c r="[^"]*" t="s"[^>]*><v>\d+</v>',
            body,
            lambda m: re.sub(
                rb"<v>\d+</v>", b"<v>" + enc(str(rng.randrange(10**9))) + b"</v>", m.group()
            ),
        )
    if kind == "broken_xml":
        choice = rng.randrange(4)
        at = rng.randrange(len(body) + 1)
        if choice == 0:
            return body[:at]
        if choice == 1:
            return (
                body[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + body[at:]
            )
        if choice == 2:
            return _sub_random(rng, rb">", body, lambda m: b"")
        return _sub_random(rng, rb"</[\w:]+>", body, lambda m: b"")
    return body


ZIP_MUTATIONS = (
    "cell_value",
    "cell_type",
    "cell_ref",
    "row_removed",
    "row_repeated",
    "dimension",
    "shared_strings",
    "broken_xml",
    "member_removed",
    "zip_bytes",
    "truncation",
)
XLS_MUTATIONS = (
    "xls_cell",
    "xls_dimensions",
    "xls_record",
    "xls_header",
    "zip_bytes",
    "truncation",
)


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not out:
            break
        i = rng.randrange(len(out))
        out[i] = rng.randrange(256)
    return bytes(out)


def mutate_zip(rng: random.Random, data: bytes, suffix: str, kind: str) -> bytes:
    if kind == "zip_bytes":
        return _flip(rng, data)
    if kind == "truncation":
        return data[: rng.randrange(len(data))]
    members = _members(data)
    if members is None:
        return _flip(rng, data)
    if kind == "member_removed":
        members.pop(rng.choice(list(members)))
        return _rezip(members)
    ods = suffix == ".ods"
    if kind == "shared_strings" and not ods and "xl/sharedStrings.xml" in members:
        part = "xl/sharedStrings.xml" if rng.random() < 0.75 else rng.choice(list(members))
        if rng.random() < 0.25:  # an index into the table from a sheet
            part = rng.choice([n for n in members if n.startswith("xl/worksheets/")] or [part])
    elif kind == "broken_xml":
        part = rng.choice([n for n in members if n.endswith((".xml", ".rels"))] or list(members))
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = rng.choice(_sheet_parts(zf, suffix))
    if part not in members:  # removed by an earlier mutation
        return _flip(rng, data)
    members[part] = _xml_mutation(rng, kind, part, members[part], ods)
    return _rezip(members)


# .xls: the Workbook stream's records, found through the compound file's sectors


def _xls_positions(data: bytes) -> list[int] | None:
    """Return the file offset of every byte of the Workbook stream (None when not found)."""
    from transforms.workbook import guard

    try:
        stream = guard._ole_stream(data, ("workbook", "book"))
    except Exception:
        return None
    if stream is None:
        return None
    size = 1 << struct.unpack_from("<H", data, 30)[0]
    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    fat: list[int] = []
    for s in fat_sectors:
        fat.extend(struct.unpack_from(f"<{size // 4}I", data[(s + 1) * size : (s + 2) * size]))
    start = next(
        (
            struct.unpack_from("<I", entry, 116)[0]
            for entry in _directory(data, fat, size)
            if entry[:16].decode("utf-16-le", "replace").lower().startswith(("workbook", "book"))
        ),
        None,
    )
    if start is None or len(stream) < 4096:
        return None
    out: list[int] = []
    sid, seen = start, set()
    while sid < 0xFFFFFFFA and sid not in seen and sid < len(fat):
        seen.add(sid)
        out.extend(range((sid + 1) * size, (sid + 2) * size))
        sid = fat[sid]
    return out[: len(stream)]


def _directory(data: bytes, fat: list[int], size: int) -> list[bytes]:
    sid, seen, raw = struct.unpack_from("<I", data, 48)[0], set(), b""
    while sid < 0xFFFFFFFA and sid not in seen and sid < len(fat):
        seen.add(sid)
        raw += data[(sid + 1) * size : (sid + 2) * size]
        sid = fat[sid]
    return [raw[i : i + 128] for i in range(0, len(raw) - 127, 128)]


def mutate_xls(rng: random.Random, data: bytes, kind: str) -> bytes:
    if kind == "zip_bytes":
        return _flip(rng, data)
    if kind == "truncation":
        return data[: rng.randrange(len(data))]
    out = bytearray(data)
    if kind == "xls_header":
        field_at = rng.choice((30, 44, 48, 60, 64, 68, 72, 76))
        out[field_at : field_at + 4] = struct.pack(
            "<I", rng.choice((0, 1, 0xFFFF, 0xFFFFFFFE, 0x7FFFFFFF, rng.randrange(1 << 32)))
        )
        return bytes(out)
    positions = _xls_positions(data)
    if positions is None:
        return _flip(rng, data)
    stream = bytes(data[p] for p in positions)
    records = []
    pos = 0
    while pos + 4 <= len(stream):
        kind_, length = struct.unpack_from("<HH", stream, pos)
        records.append((pos, kind_, length))
        pos += 4 + length
    wanted = {
        "xls_cell": {0x0203, 0x0204, 0x00FD, 0x027E, 0x00BD, 0x0205, 0x0006},
        "xls_dimensions": {0x0200},
    }.get(kind)
    chosen = [r for r in records if wanted is None or r[1] in wanted] or records
    at, rec_kind, length = rng.choice(chosen)
    patch: list[tuple[int, bytes]] = []
    if kind == "xls_cell":
        field = rng.choice((0, 2, 6)) if length >= 10 else rng.choice((0, 2))
        value = rng.choice((0xFFFF, 0xFF, 0x4000, 0, rng.randrange(1 << 16)))
        if field == 6 and rec_kind == 0x0203 and length >= 14:
            patch.append(
                (
                    at + 10,
                    struct.pack("<d", rng.choice((float("nan"), float("inf"), -1.0, 2.5, 1e300))),
                )
            )
        elif field == 6 and rec_kind == 0x00FD:
            patch.append((at + 10, struct.pack("<I", rng.randrange(1 << 32))))
        else:
            patch.append((at + 4 + min(field, 2), struct.pack("<H", value)))
    elif kind == "xls_dimensions":
        for offset in range(0, max(0, length - 2), 2):
            if rng.random() < 0.5:
                patch.append(
                    (at + 4 + offset, struct.pack("<H", rng.choice((0xFFFF, 0, 0x100, 1))))
                )
    else:  # xls_record: the record's type or length, or its bytes
        if rng.random() < 0.5:
            patch.append((at + rng.choice((0, 2)), struct.pack("<H", rng.randrange(1 << 16))))
        else:
            for _ in range(rng.randint(1, 4)):
                if length:
                    patch.append((at + 4 + rng.randrange(length), bytes([rng.randrange(256)])))
    for offset, body in patch:
        for k, byte in enumerate(body):
            if offset + k < len(positions):
                out[positions[offset + k]] = byte
    return bytes(out)


def mutate(rng: random.Random, seed_path: Path) -> Mutant:
    """Return a mutated copy of a valid workbook: one to three mutations."""
    suffix = seed_path.suffix.lower()
    mutant = Mutant(seed_path.read_bytes())
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        kinds = XLS_MUTATIONS if suffix == ".xls" else ZIP_MUTATIONS
        kind = rng.choice(kinds)
        if suffix == ".xls":
            mutant.data = mutate_xls(rng, mutant.data, kind)
        else:
            mutant.data = mutate_zip(rng, mutant.data, suffix, kind)
        mutant.names.append(kind)
    return mutant


# --- running -------------------------------------------------------------------------


@dataclass
class Figures:
    accepted: int = 0
    rejected: int = 0
    crashed: int = 0
    reader_failures: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    mutations: Counter[str] = field(default_factory=Counter)
    kept: list[Path] = field(default_factory=list)
    failure_kinds: Counter[str] = field(default_factory=Counter)
    peak_worker_bytes: int = 0
    seconds: float = 0.0


def _verdict(result: object) -> str:
    """Return "accepted", "rejected", or "crashed" (no verdict a district can act on)."""
    accepted = getattr(result, "accepted", None)
    if accepted:
        return "accepted"
    errors = getattr(result, "errors", [])
    if errors and all(getattr(i, "rule", None) and getattr(i, "message", None) for i in errors):
        return "rejected"
    return "crashed"


def run_validator(paths: list[Path], figures: Figures, keep: Path, seed: int) -> None:
    """Validate one batch of mutants as the pipeline does; tally and keep what crashed."""
    from transforms.validation import workers
    from transforms.validation.validate import FileResult, check_read, read_files

    stats = workers.Stats()
    names = [p.name for p in paths]
    try:
        results = check_read(
            read_files(list(zip(paths, names, strict=True)), 2, stats=stats)
        ).results
        verdicts: list[tuple[str, FileResult | None]] = [(_verdict(r), r) for r in results]
    except Exception:
        # the batch itself broke: find which files do it, one by one
        verdicts = []
        for path in paths:
            try:
                one = check_read(read_files([(path, path.name)], 1, stats=stats)).results[0]
                verdicts.append((_verdict(one), one))
            except Exception:
                verdicts.append(("crashed", None))
    figures.peak_worker_bytes = max(figures.peak_worker_bytes, stats.peak_rss_bytes)
    figures.failure_kinds.update(stats.failures)
    for path, (verdict, result) in zip(paths, verdicts, strict=True):
        failed = bool(result is not None and getattr(result, "reader_failed", False))
        setattr(figures, verdict, getattr(figures, verdict) + 1)
        if result is not None:
            figures.rules.update({i.rule for i in result.errors})
        if verdict == "crashed" or failed:
            figures.reader_failures += failed
            keep.mkdir(parents=True, exist_ok=True)
            outcome = "crashed" if verdict == "crashed" else "reader-failed"
            target = keep / f"seed{seed}-{path.stem}-{outcome}{path.suffix}"
            shutil.copyfile(path, target)
            figures.kept.append(target)


def fuzz(count: int, seed: int, keep: Path, work: Path) -> Figures:
    """Mutate `count` copies of the seeds and validate them in batches; return the figures."""
    figures = Figures()
    seeds = write_seeds(work / "seeds", seed)
    rng = random.Random(seed)
    started = time.perf_counter()
    batch_dir = work / "batch"
    for first in range(0, count, BATCH):
        shutil.rmtree(batch_dir, ignore_errors=True)
        batch_dir.mkdir(parents=True)
        paths = []
        for i in range(first, min(count, first + BATCH)):
            source = rng.choice(seeds)
            mutant = mutate(rng, source)
            figures.mutations.update(mutant.names)
            name = f"{i:05d}-{source.stem}-{'+'.join(mutant.names)}{source.suffix}"
            path = batch_dir / name
            path.write_bytes(mutant.data)
            paths.append(path)
        run_validator(paths, figures, keep, seed)
        done = min(count, first + BATCH)
        print(
            f"  {done:,} / {count:,}: {figures.accepted:,} accepted, {figures.rejected:,} "
            f"rejected, {figures.crashed:,} crashed ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    figures.seconds = time.perf_counter() - started
    return figures


@dataclass
class NightlyFigures:
    files: int = 0
    good: int = 0
    good_loaded: int = 0
    crashers: int = 0
    crashers_rejected: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    completed: bool = False
    rejected_without_error: int = 0  # rejected files with no error row (rule and message)


def nightly(
    seeds: list[Path], crashers: list[Path], sample: list[Path], work: Path
) -> NightlyFigures:
    """One nightly run over good files, every crasher kept and a sample of mutants."""
    import duckdb

    from ntm.settings import Settings
    from transforms import pipeline

    # the same bytes twice would be recorded once, the second as a duplicate
    unique: dict[bytes, Path] = {}
    for path in crashers:
        unique.setdefault(hashlib.sha256(path.read_bytes()).digest(), path)
    crashers = list(unique.values())
    out = NightlyFigures(good=len(seeds), crashers=len(crashers))
    settings = Settings(home=work / "home", settle_seconds=0).ensure()
    for path in [*seeds, *crashers, *sample]:
        shutil.copyfile(path, settings.inbox / path.name)
    out.files = len(list(settings.inbox.iterdir()))
    started = time.perf_counter()
    pipeline.run_once(settings, "fuzz-nightly")
    out.seconds = time.perf_counter() - started
    out.completed = True
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("select file_name, status from ops.submissions").fetchall()
        out.rejected_without_error = con.execute(
            """
            select count(*) from ops.submissions s where s.status = 'rejected' and not exists (
                select 1 from ops.validation_issues i
                where i.submission_id = s.submission_id and i.severity = 'error'
                  and coalesce(i.rule, '') <> '' and coalesce(i.message, '') <> '')
            """
        ).fetchall()[0][0]
    status = dict(rows)
    out.statuses.update(status.values())
    out.good_loaded = sum(status.get(p.name) in ("accepted", "superseded") for p in seeds)
    out.crashers_rejected = sum(status.get(p.name) == "rejected" for p in crashers)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="mutants (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashers", type=Path, default=CRASHERS, help="where crashers are kept")
    parser.add_argument(
        "--nightly-sample", type=int, default=200, help="mutants in the nightly run"
    )
    parser.add_argument("--no-nightly", action="store_true")
    args = parser.parse_args(argv)
    if argv is None and os.environ.get("PYTHONHASHSEED") != "0":
        # odfpy writes attributes in set order: a fixed hash seed gives the same .ods
        # bytes, so the same seed gives the same mutants on every run
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, "-m", "bench.fuzz", *sys.argv[1:]], env)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="ntm-fuzz-") as tmp:
        work = Path(tmp)
        figures = fuzz(args.count, args.seed, args.crashers, work)
        parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"mutants:          {args.count:,} (seed {args.seed}, {figures.seconds:.0f} s)")
        print(f"accepted:         {figures.accepted:,}")
        print(f"rejected:         {figures.rejected:,}")
        print(f"crashed:          {figures.crashed:,}")
        print(
            f"reader failures:  {figures.reader_failures:,} (rejected; a reader worker failed: "
            + (", ".join(f"{k} {v}" for k, v in sorted(figures.failure_kinds.items())) or "none")
            + ")"
        )
        print(
            f"peak memory:      validator {parent_peak / 2**20:,.0f} MB, "
            f"largest reader worker {figures.peak_worker_bytes / 2**20:,.0f} MB"
        )
        print(
            "mutations:        "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(figures.mutations.items()))
        )
        print(
            "rejected by rule: " + ", ".join(f"{k} {v:,}" for k, v in figures.rules.most_common())
        )
        kept = sorted(args.crashers.glob("*")) if args.crashers.is_dir() else []
        if figures.kept:
            print(f"kept {len(figures.kept)} crasher(s) in {args.crashers}:")
            for path in figures.kept[:50]:
                print(f"  {path.name}")
        if not args.no_nightly:
            rng = random.Random(args.seed)
            seeds = write_seeds(work / "nightly-seeds", args.seed)
            sample_dir = work / "sample"
            sample_dir.mkdir()
            sample = []
            for i in range(args.nightly_sample):
                source = rng.choice(seeds)
                mutant = mutate(rng, source)
                path = sample_dir / f"sample-{i:04d}-{'+'.join(mutant.names)}{source.suffix}"
                path.write_bytes(mutant.data)
                sample.append(path)
            night = nightly(seeds, kept, sample, work / "nightly")
            print(
                f"nightly run:      {night.files} files in one run ({night.seconds:.0f} s): "
                f"good loaded {night.good_loaded}/{night.good}, "
                f"crashers rejected {night.crashers_rejected}/{night.crashers}, "
                f"rejected without an error row {night.rejected_without_error}; "
                + ", ".join(f"{k} {v}" for k, v in sorted(night.statuses.items()))
            )
        peak = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, figures.peak_worker_bytes
        )
        print(f"peak memory (any process): {peak / 2**20:,.0f} MB")
        if not args.no_nightly and (
            night.good_loaded != night.good
            or night.crashers_rejected != night.crashers
            or night.rejected_without_error
        ):
            return 1
    return 1 if figures.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
