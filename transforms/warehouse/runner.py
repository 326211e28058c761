"""The one runner for the SQL in sql/: migrations, then models in their listed order."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

from transforms.warehouse.duck import column_names, table_names
from transforms.warehouse.scope import Scope

_SQL = resources.files("sql")
_MIGRATIONS = "migrations"
# models of this folder are views: they rename and cast, and cost nothing to keep current
VIEW_LAYER = "staging"


def _read(path: str) -> str:
    node: Traversable = _SQL
    for part in path.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def migrations() -> list[tuple[str, str]]:
    """Return (name, sql) of every migration, in the order of their numbered names."""
    folder = _SQL.joinpath(_MIGRATIONS)
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(n, folder.joinpath(n).read_text(encoding="utf-8")) for n in names]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet applied; return the names applied now."""
    con.execute(
        "create schema if not exists ops;"
        "create table if not exists ops.schema_migrations"
        " (name varchar primary key, applied_at timestamptz default current_timestamp)"
    )
    done = {r[0] for r in con.execute("select name from ops.schema_migrations").fetchall()}
    applied = []
    for name, sql in migrations():
        if name in done:
            continue
        con.execute(sql)
        con.execute("insert into ops.schema_migrations (name) values (?)", [name])
        applied.append(name)
    return applied


def model_paths() -> list[str]:
    """Return the model files listed in sql/models.txt, in build order."""
    lines = _read("models.txt").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def model_relation(path: str) -> str:
    """Return the relation a model file builds: sql/marts/x.sql -> marts.x."""
    folder, file = path.split("/")
    return f"{folder}.{file.removesuffix('.sql')}"


def build_models(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> list[str]:
    """Rebuild the models in order; return the relations built.

    Staging models are views (renames and casts: nothing to store). With a
    `scope`, every model that has a `year` column is recomputed for the scope's
    rows only (its other rows are kept), and the rest in full. The caller passes
    every year and province a change can reach (see scope.affected_scope); a test
    checks the result equals a full rebuild.
    """
    built = []
    # a scoped build only touches models that exist already: their columns, read once
    existing = {
        f"{schema}.{table}": columns
        for schema in ("intermediate", "marts")
        for table, columns in column_names(con, schema).items()
    }
    for path in model_paths():
        relation = model_relation(path)
        sql = _read(path)
        # relation and SQL come from our own files, never from user input
        if path.startswith(f"{VIEW_LAYER}/"):
            schema, name = relation.split(".")
            if name in table_names(con, schema):  # a warehouse from before staging were views
                con.execute(f"drop table {relation}")
            con.execute(f"create or replace view {relation} as {sql}")
        elif scope is None or "year" not in existing.get(relation, []):
            con.execute(f"create or replace table {relation} as {sql}")
        else:
            has_province = "province_code" in existing[relation]
            rows = scope.sql_condition(has_province)
            params = scope.sql_parameters(has_province)
            delete = f"delete from {relation} where {rows}"  # noqa: S608 (names: our files)
            insert = f"insert into {relation} by name select * from ({sql}) where {rows}"  # noqa: S608
            con.execute(delete, params)
            con.execute(insert, params)
        built.append(relation)
    con.execute(
        "insert into ops.marts_builds (build_id, built_at, years, province_codes, reference)"
        " values (nextval('ops.marts_build_ids'), now(), ?, ?,"
        " (select max(fingerprint) from ops.reference_state))",
        [
            None if scope is None else list(scope.years),
            None if scope is None or scope.provinces is None else list(scope.provinces),
        ],
    )
    return built


def built_from_other_reference(con: duckdb.DuckDBPyConnection) -> bool:
    """Return whether the latest rebuild used reference data other than the loaded one."""
    rows = con.execute(
        "select reference is distinct from (select max(fingerprint) from ops.reference_state)"
        " from ops.marts_builds order by build_id desc limit 1"
    ).fetchall()
    return bool(rows and rows[0][0])


def last_build(con: duckdb.DuckDBPyConnection) -> int | None:
    """Return the id of the latest rebuild of the models (None before the first)."""
    return con.execute("select max(build_id) from ops.marts_builds").fetchall()[0][0]


def changes_since(con: duckdb.DuckDBPyConnection, build_id: int) -> Scope | None:
    """Return what the rebuilds after `build_id` recomputed: their scopes joined, an empty
    scope when there were none, None when one of them rebuilt everything."""
    builds = con.execute(
        "select years, province_codes from ops.marts_builds where build_id > ? order by build_id",
        [build_id],
    ).fetchall()
    if any(years is None for years, _ in builds):
        return None
    scope = Scope(())
    for years, provinces in builds:
        scope = scope.union(Scope.of(years, provinces))
    return scope
