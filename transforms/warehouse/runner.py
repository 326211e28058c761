"""The one runner for the SQL in sql/: migrations, then models in their listed order."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

from transforms.publish.dictionary import comment_marts
from transforms.warehouse.duck import table_names
from transforms.warehouse.scope import Scope

_SQL = resources.files("sql")
_MIGRATIONS = "migrations"
_MATERIALISED = ("view", "table")
_KEYS = ("year", "province")


def _read(path: str) -> str:
    node: Traversable = _SQL
    for part in path.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def sql_file(path: str) -> str:
    """Return the text of a file under sql/ (such as reference/commune_predecessors.sql)."""
    return _read(path)


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


@dataclass(frozen=True)
class Model:
    """One line of sql/models.txt: a model file and how it is built."""

    path: str  # e.g. marts/commune_assessment.sql
    materialised: str  # "view" or "table"
    keys: tuple[str, ...]  # what a scoped rebuild filters on: (), ("year",), ("year", "province")

    @property
    def relation(self) -> str:
        """Return the relation the model builds: sql/marts/x.sql -> marts.x."""
        return model_relation(self.path)

    @property
    def by_province(self) -> bool:
        """Return whether a scoped rebuild keeps the rows of provinces out of scope."""
        return "province" in self.keys


@cache
def models() -> tuple[Model, ...]:
    """Return the models of sql/models.txt, in build order, as the file states them."""
    out = []
    for number, line in enumerate(_read("models.txt").splitlines(), start=1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        path, materialised, *keys = text
        if materialised not in _MATERIALISED or any(k not in _KEYS for k in keys):
            raise ValueError(f"sql/models.txt line {number}: cannot read {line.strip()!r}")
        if materialised == "view" and keys:
            raise ValueError(f"sql/models.txt line {number}: a view is never rebuilt in part")
        out.append(Model(path, materialised, tuple(keys)))
    return tuple(out)


@cache
def models_fingerprint() -> str:
    """Return a digest of sql/models.txt and every model file: the marts' code.

    It is part of the reference fingerprint, so a build made by other SQL (a release that
    adds a column, which a scoped build cannot) is redone whole by the next run.
    """
    digest = hashlib.sha256(_read("models.txt").encode())
    for model in models():
        digest.update(model.path.encode())
        digest.update(_read(model.path).encode())
    return digest.hexdigest()


def model_paths() -> list[str]:
    """Return the model files listed in sql/models.txt, in build order."""
    return [m.path for m in models()]


def model_relation(path: str) -> str:
    """Return the relation a model file builds: sql/marts/x.sql -> marts.x."""
    folder, file = path.split("/")
    return f"{folder}.{file.removesuffix('.sql')}"


def model_of(relation: str) -> Model:
    """Return the model that builds a relation (such as marts.commune_assessment)."""
    return next(m for m in models() if m.relation == relation)


def build_models(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> list[str]:
    """Rebuild the models in order; return the relations built.

    Each model is built as sql/models.txt states: views are replaced; with a
    `scope`, a table with keys is recomputed for the scope's rows only (its other
    rows are kept), a table not built yet or without keys in full. The caller
    passes every year and province a change can reach (see scope.affected_scope);
    a test checks the result equals a full rebuild.
    """
    built = []
    existing = {
        f"{schema}.{table}"
        for schema in ("intermediate", "marts")
        for table in table_names(con, schema)
    }
    for model in models():
        relation = model.relation
        sql = _read(model.path)
        # relation and SQL come from our own files, never from user input
        if model.materialised == "view":
            create_view(con, model, sql)
        elif scope is None or not model.keys or relation not in existing:
            con.execute(f"create or replace table {relation} as {sql}")
        else:
            rows = scope.sql_condition(model.by_province)
            params = scope.sql_parameters(model.by_province)
            delete = f"delete from {relation} where {rows}"  # noqa: S608 (names: our files)
            insert = f"insert into {relation} by name select * from ({sql}) where {rows}"  # noqa: S608
            con.execute(delete, params)
            con.execute(insert, params)
        built.append(relation)
    comment_marts(con)  # `create or replace` drops comments: the dictionary, again
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


def create_view(con: duckdb.DuckDBPyConnection, model: Model, sql: str | None = None) -> None:
    """Create or replace a view model (dropping a table of that name left by old releases)."""
    schema, name = model.relation.split(".")
    if name in table_names(con, schema):  # a warehouse from before staging were views
        con.execute(f"drop table {model.relation}")
    con.execute(f"create or replace view {model.relation} as {sql or _read(model.path)}")


def settle_in_force(con: duckdb.DuckDBPyConnection) -> None:
    """Write into the ledger which submission is in force, as the in-force model decides.

    The rule (the latest valid file of a district and year) is the model
    staging/stg_submissions_in_force.sql; ops/settle_in_force.sql marks its choice
    `accepted` and the other valid files `superseded`.
    """
    # the views read one another and the reference tables: all of them, as in a build
    for model in models():
        if model.materialised == "view":
            create_view(con, model)
    con.execute(_read("ops/settle_in_force.sql")).fetchall()


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
