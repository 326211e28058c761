"""Parquet copies of the marts, for tools that read files rather than databases.

One file per mart and year, `<dir>/<mart>/<year>.parquet` (every file keeps its
`year` column), so that a run rewrites only the years it recomputed. A
manifest in the folder names the model build the files reflect; the next
export starts from the builds since, so a run killed halfway through an export
is caught up by the next one. Each file is written aside and renamed into place:
a reader never opens a half-written file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from transforms.atomic import replace_atomically
from transforms.threads import map_in_threads
from transforms.warehouse.duck import cursor_of, table_names
from transforms.warehouse.quoting import quote_ident, quote_literal
from transforms.warehouse.runner import changes_since, last_build
from transforms.warehouse.scope import Scope

MANIFEST = "_manifest.json"
# year files written at once: DuckDB writes a small one on about one core, without the GIL
_FILES_AT_ONCE = 2
SCHEMA = "marts"


def _years(con: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    source = f"{SCHEMA}.{quote_ident(table)}"
    rows = con.execute(f"select distinct year from {source} order by year").fetchall()  # noqa: S608
    return [int(r[0]) for r in rows]


def _write(con: duckdb.DuckDBPyConnection, table: str, year: int, target: Path) -> None:
    with replace_atomically(target) as tmp:
        con.execute(
            f"copy (select * from {SCHEMA}.{quote_ident(table)} where year = ?)"  # noqa: S608
            f" to {quote_literal(str(tmp))} (format parquet, compression zstd)",
            [year],
        )


def export_parquet(
    con: duckdb.DuckDBPyConnection, out_dir: Path, scope: Scope | None = None
) -> list[Path]:
    """Write the marts' year files (all of them, or the scope's years); return the paths written.

    A year the scope names that a mart no longer has loses its file; a full export
    also removes files of years gone and the single-file layout of earlier releases.
    """
    written: list[tuple[str, int, Path]] = []
    for table in table_names(con, SCHEMA):
        folder = Path(out_dir) / table
        folder.mkdir(parents=True, exist_ok=True)
        present = set(_years(con, table))
        years = sorted(present) if scope is None else list(scope.years)
        if scope is None:
            (Path(out_dir) / f"{table}.parquet").unlink(missing_ok=True)
            for old in folder.glob("*.parquet"):
                if not old.stem.isdigit() or int(old.stem) not in present:
                    old.unlink()
        for year in years:
            target = folder / f"{year}.parquet"
            if year in present:
                written.append((table, year, target))
            else:
                target.unlink(missing_ok=True)

    def write(job: tuple[str, int, Path]) -> Path:
        cursor = cursor_of(con)  # a connection of its own for each thread
        try:
            _write(cursor, *job)
        finally:
            cursor.close()
        return job[2]

    return map_in_threads(write, written, _FILES_AT_ONCE)


def update_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Bring the Parquet folder up to date with the marts; return the paths written.

    Only the years rebuilt since the build the manifest names are written again;
    everything when there is no manifest or a full rebuild happened since.
    """
    out_dir = Path(out_dir)
    build = last_build(con)
    seen = _manifest_build(out_dir)
    if build is None or (seen is not None and seen == build):
        return []
    scope = None if seen is None or seen > build else changes_since(con, seen)
    written = export_parquet(con, out_dir, scope)
    _write_manifest(out_dir, build)
    return written


def _manifest_build(out_dir: Path) -> int | None:
    try:
        return int(json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))["build_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet, or unreadable: export everything


def _write_manifest(out_dir: Path, build: int) -> None:
    with replace_atomically(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps({"build_id": build}), encoding="utf-8")
