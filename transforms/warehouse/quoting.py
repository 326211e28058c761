"""Quoting for the few SQL statements that must name a table or a file: everything else
passes values as parameters. The no-pasted-SQL test trusts these two and checks they escape."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Return a DuckDB identifier, double-quoted with inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Return a DuckDB string literal, single-quoted with inner quotes doubled."""
    return "'" + text.replace("'", "''") + "'"
