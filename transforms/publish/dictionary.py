"""The data dictionary of the marts, kept in sql/dictionary.toml.

One source for three readers: `COMMENT ON` in the working warehouse (after every build of
the models) and in the published snapshot (which `create table ... as` copies without
comments), so BI tools show what a column means; and docs/data-dictionary.md, rendered by
`python -m transforms.publish.dictionary_page`. `problems` says where the dictionary and the
marts disagree (a test keeps it empty).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

import duckdb

from transforms.warehouse.duck import column_names, table_names
from transforms.warehouse.quoting import quote_ident, quote_literal

MARTS_SCHEMA = "marts"
DICTIONARY_FILE = "dictionary.toml"


@dataclass(frozen=True)
class MartEntry:
    """A mart's line and its columns' lines (the snapshot's own columns apart)."""

    name: str
    description: str
    columns: Mapping[str, str]
    snapshot_columns: Mapping[str, str] = field(default_factory=dict)

    def meanings(self, snapshot: bool) -> dict[str, str]:
        """Return column -> meaning, with the snapshot's text twins when `snapshot`."""
        return {**self.columns, **(self.snapshot_columns if snapshot else {})}


def parse_dictionary(text: str) -> dict[str, MartEntry]:
    """Return the marts of a dictionary file's text, by name."""
    raw = tomllib.loads(text)
    return {
        name: MartEntry(
            name=name,
            description=str(entry["description"]),
            columns={str(k): str(v) for k, v in entry.get("columns", {}).items()},
            snapshot_columns={str(k): str(v) for k, v in entry.get("snapshot_columns", {}).items()},
        )
        for name, entry in raw.items()
    }


def load_dictionary() -> dict[str, MartEntry]:
    """Return the dictionary shipped with the SQL models (sql/dictionary.toml)."""
    text = resources.files("sql").joinpath(DICTIONARY_FILE).read_text(encoding="utf-8")
    return parse_dictionary(text)


def comment_marts(
    con: duckdb.DuckDBPyConnection,
    database: str | None = None,
    dictionary: Mapping[str, MartEntry] | None = None,
) -> int:
    """Write the dictionary as COMMENT ON of the marts of `database` (an attached catalog,
    default the connection's own); return how many comments were written.

    Only marts and columns present both here and in the dictionary get one: a missing
    line never stops a build (the dictionary test catches it instead).
    """
    entries = load_dictionary() if dictionary is None else dictionary
    parts = [MARTS_SCHEMA] if database is None else [database, MARTS_SCHEMA]
    schema = ".".join(quote_ident(p) for p in parts)
    present = column_names(con, MARTS_SCHEMA, database)
    statements = []
    for table in table_names(con, MARTS_SCHEMA, database):
        entry = entries.get(table)
        if entry is None:
            continue
        # every name and text below is quoted: the names come from the catalogue
        target = f"{schema}.{quote_ident(table)}"
        statements.append(f"comment on table {target} is {quote_literal(entry.description)}")
        meanings = entry.meanings(snapshot=True)
        for column in present.get(table, []):
            if column in meanings:
                text = quote_literal(meanings[column])
                statements.append(f"comment on column {target}.{quote_ident(column)} is {text}")
    if statements:
        # one call for the few hundred: each call takes the GIL back once it is done, and
        # beside a busy Python thread (the reports) every take waits up to 5 ms, which made
        # the snapshot's comments alone cost over a second there
        con.execute(";\n".join(statements))
    return len(statements)


def problems(
    con: duckdb.DuckDBPyConnection,
    database: str | None = None,
    *,
    snapshot: bool = False,
    dictionary: Mapping[str, MartEntry] | None = None,
) -> list[str]:
    """Return where the dictionary and the marts of `database` disagree, one line each.

    `snapshot` says the marts are the published ones, which also have text twins.
    """
    entries = load_dictionary() if dictionary is None else dictionary
    present = {
        t: c
        for t, c in column_names(con, MARTS_SCHEMA, database).items()
        if t in table_names(con, MARTS_SCHEMA, database)
    }
    found: list[str] = []
    for table in sorted(set(present) | set(entries)):
        if table not in entries:
            found.append(f"marts.{table}: no entry in the dictionary")
            continue
        if table not in present:
            found.append(f"marts.{table}: in the dictionary, but no such mart")
            continue
        entry = entries[table]
        meanings = entry.meanings(snapshot)
        for column in present[table]:
            if column not in meanings:
                found.append(f"marts.{table}.{column}: no entry in the dictionary")
        for column in meanings:
            if column not in present[table]:
                found.append(f"marts.{table}.{column}: in the dictionary, but no such column")
        lines = {"": entry.description, **{f".{c}": m for c, m in meanings.items()}}
        for where, text in lines.items():
            if not text.strip() or "\n" in text:
                found.append(f"marts.{table}{where}: the meaning must be one non-empty line")
    return found


def render_markdown(
    columns: Mapping[str, list[tuple[str, str]]],
    dictionary: Mapping[str, MartEntry] | None = None,
) -> str:
    """Return the dictionary page: `columns` gives each published mart's (column, type) in
    table order (the snapshot's, text twins included)."""
    entries = load_dictionary() if dictionary is None else dictionary
    out = [
        "# Data dictionary: the marts",
        "",
        "<!-- Generated from sql/dictionary.toml by `make dictionary`; edit that file, not"
        " this page. -->",
        "",
        "What every mart and column of the published snapshot (`published/ntm.duckdb`) means."
        " The same lines are written into the snapshot as `COMMENT ON`, so BI tools show them"
        " as table and column descriptions. Rules refer to the criterion 19.2 spec"
        " (`criterion-19-2.md`, ruleset 2021-2025); codes are zero-padded text, shares are"
        " fractions 0..1, counts are integers. Columns marked *snapshot only* are text twins"
        " of list columns, added for BI tools that cannot read lists.",
        "",
    ]
    out += [f"- [`marts.{name}`](#marts{name})" for name in columns]
    for name, typed in columns.items():
        entry = entries[name]
        out += ["", f"## marts.{name}", "", entry.description, ""]
        out += ["| column | type | meaning |", "|---|---|---|"]
        for column, data_type in typed:
            meaning = entry.meanings(snapshot=True).get(column, "")
            if column in entry.snapshot_columns:
                meaning = f"*snapshot only.* {meaning}"
            out.append(f"| `{column}` | {data_type} | {_cell(meaning)} |")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
