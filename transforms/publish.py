"""The read-only snapshot BI tools open: written aside, then swapped in atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ntm.transforms.snapshot_extras import add_text_twins, export_parquet

PUBLISHED_SCHEMAS = ("ref", "ops", "marts")
# Written in the oldest storage format current BI bundles (DuckDB 1.0 and
# later) can open; newer features of the working file are not needed here.
SNAPSHOT_STORAGE_VERSION = "v1.0.0"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def publish_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> Path:
    """Replace target atomically with a copy of ref, ops and marts; export the marts as Parquet."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con.execute(f"attach {_quote(tmp)} as snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema snapshot.{schema}")
            tables = con.execute(
                "select table_name from duckdb_tables()"
                " where database_name = current_database() and schema_name = ?"
                " order by table_name",
                [schema],
            ).fetchall()
            for (table,) in tables:
                # names come from the catalogue of our own warehouse
                source = f'{schema}."{table}"'
                con.execute(f"create table snapshot.{source} as from {source}")
        # BI tools that cannot read LIST columns get a text twin of each
        add_text_twins(con, "snapshot.marts")
    finally:
        con.execute("detach snapshot")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    export_parquet(con, target.parent / "parquet")
    return target
