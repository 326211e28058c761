"""Render docs/data-dictionary.md from sql/dictionary.toml (`make dictionary`).

The page lists the columns and types of the published marts, so it publishes the marts of
an empty warehouse (the models fix the columns, not the data) and reads the snapshot's
catalogue. `--check` exits 1 when the committed page is not current.

    python -m transforms.publish.dictionary_page [PAGE] [--check]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

from transforms.publish.dictionary import MARTS_SCHEMA, render_markdown
from transforms.publish.snapshot import publish_snapshot
from transforms.warehouse.connection import connect
from transforms.warehouse.runner import build_models

PAGE = Path("docs") / "data-dictionary.md"


def published_columns() -> dict[str, list[tuple[str, str]]]:
    """Return each published mart's (column, type), in table order, from an empty build."""
    with tempfile.TemporaryDirectory(prefix="ntm-dictionary-") as folder:
        con = connect(":memory:")
        try:
            build_models(con)
            snapshot = publish_snapshot(con, Path(folder) / "ntm.duckdb")
        finally:
            con.close()
        with duckdb.connect(str(snapshot), read_only=True) as reader:
            rows = reader.execute(
                "select table_name, column_name, data_type from duckdb_columns()"
                " where database_name = current_database() and schema_name = ?"
                " order by table_name, column_index",
                [MARTS_SCHEMA],
            ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        out.setdefault(str(table), []).append((str(column), str(data_type)))
    return out


def render_page() -> str:
    """Return the dictionary page as it should read now."""
    return render_markdown(published_columns())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the marts' data dictionary page.")
    parser.add_argument("page", nargs="?", type=Path, default=PAGE)
    parser.add_argument("--check", action="store_true", help="fail if the page is stale")
    args = parser.parse_args(argv)
    text = render_page()
    current = args.page.read_text(encoding="utf-8") if args.page.exists() else None
    if args.check:
        if current != text:
            print(f"{args.page} is not current: run `make dictionary`", file=sys.stderr)
            return 1
        print(f"{args.page} is current")
        return 0
    if current != text:
        args.page.parent.mkdir(parents=True, exist_ok=True)
        args.page.write_text(text, encoding="utf-8")
    print(f"wrote {args.page}" if current != text else f"{args.page} was current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
