"""Small DuckDB helpers shared by the loader and the reference refresh."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
import pandas as pd

from transforms.warehouse.quoting import quote_ident

# The catalog name connection.connect attaches the warehouse file under.
WAREHOUSE_CATALOG = "warehouse"


def cursor_of(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return a new connection to con's database for another thread, using the warehouse
    catalog when it is attached (a cursor's own default is the database the connection was
    opened on, an in-memory one for the warehouse: connection.connect). Only the cursor is
    queried: con may be busy in another thread."""
    cursor = con.cursor()
    attached = cursor.execute(
        "select count(*) from duckdb_databases() where database_name = ?", [WAREHOUSE_CATALOG]
    ).fetchall()[0][0]
    if attached:
        cursor.execute(f"use {quote_ident(WAREHOUSE_CATALOG)}")
    return cursor


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


def table_names(
    con: duckdb.DuckDBPyConnection, schema: str, database: str | None = None
) -> list[str]:
    """Return the tables (not views) of a schema in name order; `database` names an
    attached catalog (default: the connection's own)."""
    rows = con.execute(
        "select table_name from duckdb_tables()"
        " where database_name = coalesce(?, current_database()) and schema_name = ?"
        " order by table_name",
        [database, schema],
    ).fetchall()
    return [str(r[0]) for r in rows]


def column_names(
    con: duckdb.DuckDBPyConnection, schema: str, database: str | None = None
) -> dict[str, list[str]]:
    """Return each relation (table or view) of a schema with its columns, in order."""
    rows = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where database_name = coalesce(?, current_database()) and schema_name = ?"
        " order by table_name, column_index",
        [database, schema],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(str(table), []).append(str(column))
    return out


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
