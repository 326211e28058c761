"""The read-only snapshot BI tools open: written aside, then swapped in atomically."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from transforms.atomic import replace_atomically
from transforms.publish.dictionary import comment_marts
from transforms.publish.text_twins import TEXT_TWIN_SUFFIX, add_text_twins, refresh_text_twins
from transforms.warehouse.duck import column_names, table_names, transaction
from transforms.warehouse.quoting import quote_ident, quote_literal
from transforms.warehouse.runner import model_of
from transforms.warehouse.scope import Scope

PUBLISHED_SCHEMAS = ("ref", "ops", "marts")
# Written in the oldest storage format current BI bundles (DuckDB 1.0 and
# later) can open; newer features of the working file are not needed here.
SNAPSHOT_STORAGE_VERSION = "v1.0.0"


def _copy_all(con: duckdb.DuckDBPyConnection) -> None:
    for schema in PUBLISHED_SCHEMAS:
        con.execute(f"create schema snapshot.{schema}")
        for table in table_names(con, schema):
            # names come from the catalogue of our own warehouse, quoted all the same
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            con.execute(f"create table snapshot.{source} as from {source}")
    # BI tools that cannot read LIST columns get a text twin of each
    add_text_twins(con, "snapshot.marts")


def _update_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    """Bring an attached copy of the last snapshot up to date; False if it cannot be."""
    marts = table_names(con, "marts")
    if marts != table_names(con, "marts", "snapshot"):
        return False
    ours, theirs = column_names(con, "marts"), column_names(con, "marts", "snapshot")
    for table in marts:
        # the snapshot's text twins are its own addition
        twins = [c for c in theirs[table] if not c.endswith(TEXT_TWIN_SUFFIX)]
        if ours[table] != twins or not model_of(f"marts.{table}").keys:
            return False  # the models changed shape, or one is always rebuilt: copy everything
    # small: replaced whole; the reference tables (the larger ones) only when they differ
    # (a new reference rebuilds the marts whole, so this path rarely meets one)
    state = "select fingerprint from {}ops.reference_state"
    same_reference = con.execute(state.format("")).fetchall() == (
        con.execute(state.format("snapshot.")).fetchall()
    )
    for schema in ("ops",) if same_reference else ("ref", "ops"):
        for table in table_names(con, schema):
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            con.execute(f"create or replace table snapshot.{source} as from {source}")
    for table in marts:
        source = f"marts.{quote_ident(table)}"
        has_province = model_of(f"marts.{table}").by_province
        rows = scope.sql_condition(has_province)
        params = scope.sql_parameters(has_province)
        con.execute(f"delete from snapshot.{source} where {rows}", params)  # noqa: S608
        insert = f"insert into snapshot.{source} by name select * from {source} where {rows}"  # noqa: S608
        con.execute(insert, params)
    refresh_text_twins(con, scope, "snapshot.marts")
    return True


def publish_snapshot(
    con: duckdb.DuckDBPyConnection, target: Path, scope: Scope | None = None
) -> Path:
    """Replace target atomically with a copy of ref, ops and marts; return its path.

    With a `scope` and a previous snapshot, the new file starts as a copy of the old
    one and only the scope's rows of the marts are replaced (the caller knows, from
    ops.marts_builds, that nothing else changed since that snapshot).
    """
    version = f"(storage_version {quote_literal(SNAPSHOT_STORAGE_VERSION)})"
    incremental = scope is not None and target.exists()
    with replace_atomically(target, durable=True) as tmp:
        fresh = f"attach {quote_literal(str(tmp))} as snapshot {version}"
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        if incremental:
            shutil.copyfile(target, tmp)
            con.execute(f"attach {quote_literal(str(tmp))} as snapshot")
        else:
            con.execute(fresh)
        try:
            if not _fill(con, scope if incremental else None):
                con.execute("detach snapshot")
                tmp.unlink()
                con.execute(fresh)
                _fill(con, None)
        finally:
            con.execute("detach snapshot")
    return target


def _fill(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> bool:
    """Fill the attached snapshot: replace the scope's rows (False when the snapshot cannot
    be brought up to date that way, before anything is written), or copy everything
    without a scope; then write the dictionary's comments.

    One transaction: committing each of its few hundred statements on its own (the
    comments above all) costs more than copying the data.
    """
    with transaction(con):
        if scope is not None and not _update_scope(con, scope):
            return False
        if scope is None:
            _copy_all(con)
        comment_marts(con, "snapshot")  # `create table ... as` copies no comments
    # into the file itself, whatever the warehouse's own checkpoint policy: BI tools
    # get one self-contained file (its log would not follow the rename)
    con.execute("checkpoint snapshot")
    return True
