"""The one runner for the SQL in sql/: migrations, then models in their listed order."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import duckdb

_SQL = resources.files("ntm.sql")
_MIGRATIONS = "migrations"


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


def build_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild every model as a table, in order; return the relations built."""
    built = []
    for path in model_paths():
        relation = model_relation(path)
        # relation comes from our own file names, never from user input
        con.execute(f"create or replace table {relation} as {_read(path)}")
        built.append(relation)
    return built
