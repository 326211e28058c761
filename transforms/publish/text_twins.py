"""Text twins of list columns, for BI tools that cannot read lists.

Older BI bundles and ODBC/JDBC bridges show a DuckDB LIST column as an
opaque blob or drop it, so every list column of the published marts gets a
varchar twin (``failed_conditions`` -> ``failed_conditions_text``, items
joined with ", ").
"""

from __future__ import annotations

import duckdb

from transforms.warehouse.duck import column_names
from transforms.warehouse.quoting import quote_ident, quote_literal
from transforms.warehouse.runner import model_of
from transforms.warehouse.scope import Scope

TEXT_TWIN_SUFFIX = "_text"
TEXT_TWIN_SEPARATOR = ", "


def _split_schema(schema_prefix: str) -> tuple[str | None, str]:
    """Return (catalog or None, schema) from "schema" or "catalog.schema"."""
    parts = schema_prefix.split(".")
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError(f"expected 'schema' or 'catalog.schema', got {schema_prefix!r}")


def list_columns(con: duckdb.DuckDBPyConnection, schema_prefix: str) -> list[tuple[str, str]]:
    """Return (table, column) for every LIST column of the tables in a schema."""
    catalog, schema = _split_schema(schema_prefix)
    rows = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where database_name = coalesce(?, current_database()) and schema_name = ?"
        " and data_type like '%[]'"
        " and table_name in (select table_name from duckdb_tables()"
        "   where database_name = coalesce(?, current_database()) and schema_name = ?)"
        " order by table_name, column_index",
        [catalog, schema, catalog, schema],
    ).fetchall()
    return [(str(t), str(c)) for t, c in rows]


def add_text_twins(
    con: duckdb.DuckDBPyConnection, schema_prefix: str = "snapshot.marts"
) -> list[str]:
    """Add a varchar twin of every LIST column of a schema's tables; return "table.twin" added.

    ``schema_prefix`` names the schema, qualified by its catalog when it is
    attached (the publish step passes ``snapshot.marts``). A twin holds the
    items joined with ", ", '' for an empty list and null for a null list.
    Running it twice adds nothing the second time.
    """
    catalog, schema = _split_schema(schema_prefix)
    qualified = ".".join(quote_ident(p) for p in (catalog, schema) if p is not None)
    existing = {(t, c) for t, cols in column_names(con, schema, catalog).items() for c in cols}
    added: list[str] = []
    for table, column in list_columns(con, schema_prefix):
        twin = column + TEXT_TWIN_SUFFIX
        if (table, twin) in existing:
            continue
        target = f"{qualified}.{quote_ident(table)}"
        # identifiers come from the catalogue and are quoted
        con.execute(f"alter table {target} add column {quote_ident(twin)} varchar")
        con.execute(
            f"update {target} set {quote_ident(twin)} ="  # noqa: S608
            f" array_to_string({quote_ident(column)}, {quote_literal(TEXT_TWIN_SEPARATOR)})"
        )
        added.append(f"{table}.{twin}")
    return added


def refresh_text_twins(
    con: duckdb.DuckDBPyConnection, scope: Scope, schema_prefix: str = "snapshot.marts"
) -> None:
    """Recompute the text twins of the scope's rows (after they were replaced)."""
    catalog, schema = _split_schema(schema_prefix)
    qualified = ".".join(quote_ident(p) for p in (catalog, schema) if p is not None)
    for table, column in list_columns(con, schema_prefix):
        twin = quote_ident(column + TEXT_TWIN_SUFFIX)
        by_province = model_of(f"marts.{table}").by_province
        rows = scope.sql_condition(by_province)
        params = scope.sql_parameters(by_province)
        con.execute(
            f"update {qualified}.{quote_ident(table)} set {twin} ="  # noqa: S608
            f" array_to_string({quote_ident(column)}, {quote_literal(TEXT_TWIN_SEPARATOR)})"
            f" where {rows}",
            params,
        )
