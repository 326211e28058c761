"""Print a fingerprint of every mart, the ledger and the issue rows of a warehouse.

What differs between two runs of the same files (run ids, times, archive paths) is left
out, so two warehouses built from the same inbox by two versions of the code print the
same lines when their data agree. Usage: python scripts/warehouse_fingerprint.py DB
"""

from __future__ import annotations

import hashlib
import sys

import duckdb

from transforms.warehouse.duck import column_names
from transforms.warehouse.quoting import quote_ident

VOLATILE = {"run_id", "received_at", "archive_path", "status_changed_at", "started_at"}
OPS = ("submissions", "validation_issues")


def fingerprint(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return one line per relation: rows, columns kept and a hash of the sorted rows."""
    out = []
    for schema in ("marts", "ops", "raw"):
        for table, columns in sorted(column_names(con, schema).items()):
            if schema == "ops" and table not in OPS:
                continue
            keep = [c for c in columns if c not in VOLATILE]
            select = ", ".join(quote_ident(c) for c in keep)
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            rows = con.execute(f"select {select} from {source}").fetchall()  # noqa: S608
            digest = hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest()
            out.append(f"{schema}.{table}: {len(rows)} rows, {len(keep)} cols, {digest[:16]}")
    return out


if __name__ == "__main__":
    with duckdb.connect(sys.argv[1], read_only=True) as db:
        print("\n".join(fingerprint(db)))
