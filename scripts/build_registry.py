"""Build the registry versions (rulesets/registry/) from vietnam-provinces releases.

Standard library only: `python scripts/build_registry.py [--archives DIR]`.
Each release is fetched with `pip download --no-deps` (a wheel or an sdist;
both are read), its nested-divisions.json is flattened to one row per
commune (a district without communes gets one row with the commune columns
empty), and all versions go into one gzip CSV written byte-reproducibly:
rows in version then code order, "\n" line ends, gzip mtime 0 and no file
name in the gzip header. Names are kept exactly as the release has them.
Provenance (release, archive digest, source path, counts, build date) goes
to versions.json.

Adding a version is adding one line to VERSIONS.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

# (version, in force from, vietnam-provinces release), oldest first
VERSIONS: list[tuple[str, str, str]] = [
    ("2020-02", "2020-02-25", "0.2.2"),
    ("2021-02", "2021-02-03", "0.4.3"),
    ("2023-05", "2023-05-07", "0.5.0"),
    ("2025-01", "2025-01-04", "0.6.0"),
]

PACKAGE = "vietnam-provinces"
SOURCE = "vietnam_provinces/data/nested-divisions.json"
OUT = Path(__file__).resolve().parents[1] / "rulesets" / "registry"
DATA_FILE = "units.csv.gz"
# the columns the loader reads, defined once there
from transforms.reference.versions import COLUMNS  # noqa: E402

Row = tuple[str, str, str, str, str, str, str]


def download(release: str, folder: Path) -> Path:
    """Return the release's archive in folder, fetching it with pip when absent."""
    found = _archives(folder, release)
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                f"{PACKAGE}=={release}",
                "-d",
                str(folder),
            ],
            check=True,
        )
        found = _archives(folder, release)
    if len(found) != 1:
        raise SystemExit(f"{PACKAGE} {release}: expected one archive in {folder}, found {found}")
    return found[0]


def _archives(folder: Path, release: str) -> list[Path]:
    # wheels spell the name with "_", older sdists with "-"
    stems = (f"vietnam_provinces-{release}", f"vietnam-provinces-{release}")
    return sorted(
        p
        for p in folder.iterdir()
        if any(p.name.startswith(s + sep) for s in stems for sep in ("-", ".tar", ".zip"))
    )


def read_source(archive: Path) -> tuple[str, bytes]:
    """Return (member path, bytes) of nested-divisions.json in a wheel or an sdist."""

    def pick(names: list[str]) -> str:
        # a wheel has it at SOURCE, an sdist under "<name>-<version>/"; shortest wins
        hits = sorted((n for n in names if n == SOURCE or n.endswith("/" + SOURCE)), key=len)
        if not hits:
            raise SystemExit(f"{archive.name}: no {SOURCE}")
        return hits[0]

    if zipfile.is_zipfile(archive):  # .whl, or an sdist as .zip
        with zipfile.ZipFile(archive) as z:
            name = pick(z.namelist())
            return name, z.read(name)
    if tarfile.is_tarfile(archive):  # sdist .tar.gz / .tar.bz2
        with tarfile.open(archive, "r:*") as t:
            name = pick([m.name for m in t.getmembers() if m.isfile()])
            f = t.extractfile(name)
            assert f is not None
            return name, f.read()
    raise SystemExit(f"{archive.name}: neither a zip (wheel) nor a tar (sdist)")


def _code(value: object, width: int, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SystemExit(f"{what}: code {value!r} is not a non-negative integer")
    s = f"{value:0{width}d}"
    if len(s) != width:
        raise SystemExit(f"{what}: code {value} is wider than {width} digits")
    return s


def flatten(version: str, divisions: list[dict]) -> list[Row]:
    """Return one row per commune (or per empty district / empty province), in code order."""
    rows: list[Row] = []
    for p in divisions:
        pc, pn = _code(p["code"], 2, "province"), p["name"]
        if not p["districts"]:
            rows.append((version, pc, pn, "", "", "", ""))
        for d in p["districts"]:
            dc, dn = _code(d["code"], 3, "district"), d["name"]
            if not d["wards"]:
                rows.append((version, pc, pn, dc, dn, "", ""))
            rows.extend(
                (version, pc, pn, dc, dn, _code(w["code"], 5, "commune"), w["name"])
                for w in d["wards"]
            )
    rows.sort(key=lambda r: (r[1], r[3], r[5]))
    for kind, idx in (("province", 1), ("district", 3), ("commune", 5)):
        names = {r[idx]: r[idx + 1] for r in rows if r[idx]}
        if len({(r[idx], r[idx + 1]) for r in rows if r[idx]}) != len(names):
            raise SystemExit(f"{version}: a {kind} code carries two names")
        if any(not n.strip() for n in names.values()):
            raise SystemExit(f"{version}: a {kind} without a name")
    communes = [r[5] for r in rows if r[5]]
    if len(communes) != len(set(communes)):
        raise SystemExit(f"{version}: a commune code occurs twice")
    return rows


def counts(rows: list[Row]) -> dict[str, int]:
    return {
        "provinces": len({r[1] for r in rows}),
        "districts": len({r[3] for r in rows if r[3]}),
        "communes": sum(1 for r in rows if r[5]),
    }


def gzip_csv(rows: list[Row]) -> bytes:
    """Return the rows as a byte-reproducible gzip CSV."""
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return out.getvalue()


def write_aside(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return now.date().isoformat()


def build(archives: Path) -> None:
    rows: list[Row] = []
    provenance = []
    for version, in_force_from, release in VERSIONS:
        archive = download(release, archives)
        member, raw = read_source(archive)
        version_rows = flatten(version, json.loads(raw.decode("utf-8")))
        rows.extend(version_rows)
        provenance.append(
            {
                "version": version,
                "in_force_from": in_force_from,
                "release": f"{PACKAGE}=={release}",
                "archive": archive.name,
                "archive_sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
                "source": member,
                "source_sha256": hashlib.sha256(raw).hexdigest(),
                **counts(version_rows),
            }
        )
    data = gzip_csv(rows)
    meta = {
        "built": build_date(),
        "built_by": "scripts/build_registry.py",
        "file": DATA_FILE,
        "file_sha256": hashlib.sha256(data).hexdigest(),
        "columns": list(COLUMNS),
        "versions": provenance,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    write_aside(OUT / DATA_FILE, data)
    write_aside(
        OUT / "versions.json",
        (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )
    print(f"{OUT / DATA_FILE}: {len(rows)} rows, {len(data)} bytes")
    for p in provenance:
        print(
            f"  {p['version']} from {p['in_force_from']} ({p['release']}, {p['archive']}): "
            f"{p['provinces']} / {p['districts']} / {p['communes']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--archives",
        type=Path,
        help="keep the downloaded archives here and reuse those already present",
    )
    args = ap.parse_args()
    if args.archives:
        args.archives.mkdir(parents=True, exist_ok=True)
        build(args.archives)
    else:
        with tempfile.TemporaryDirectory(prefix="registry-") as tmp:
            build(Path(tmp))


if __name__ == "__main__":
    main()
