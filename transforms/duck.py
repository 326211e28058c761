"""Small DuckDB helpers shared by the loader and the reference refresh."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pandas as pd


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block in one transaction: commit on success, roll back on any exception."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-insert a DataFrame into a table by column name."""
    if frame.empty:
        return
    con.register("_insert_frame", frame)
    try:
        # table names are the callers' constants, never user input
        sql = f"insert into {table} by name select * from _insert_frame"  # noqa: S608
        con.execute(sql).fetchall()
    finally:
        # after a failed insert the transaction is aborted and unregister fails too;
        # the insert's own error is the one worth seeing
        with contextlib.suppress(duckdb.Error):
            con.unregister("_insert_frame")
