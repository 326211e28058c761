"""The summary a person reads after `ntm run` fits an 80-column terminal, for every province."""

from __future__ import annotations

import duckdb
from rich.console import Console
from rich.table import Table

from ntm.cli import _add_columns
from transforms.reference.registry import load_registry
from transforms.reports.province_table import province_rows_terminal


def test_the_province_table_fits_80_columns_with_the_longest_province_names():
    con = duckdb.connect()
    con.execute("create schema ref; create schema marts")
    con.register("provinces", load_registry().provinces)
    con.execute("create table ref.provinces as from provinces")
    con.execute(
        """
        create table marts.province_summary as
        select province_code, 2025 as year, 29 as districts_reported, 30 as districts_expected,
               598 as communes_meeting, 1623 as communes_expected, 0.368 as pct_meeting,
               1009 as communes_needed, 0.112 as pct_meeting_advanced,
               1.0 as pct_districts_crime_reduction
        from ref.provinces
        """
    )
    headers, rows = province_rows_terminal(con, 2025)
    assert len(rows) == 63
    assert "Bà Rịa - Vũng Tàu" in [r[0] for r in rows]  # the type word is dropped
    table = Table(title="Target 19.2 by province, 2025")
    _add_columns(table, headers)
    for row in rows:
        table.add_row(*row)
    console = Console(width=200, record=True)
    console.print(table)
    widest = max(len(line) for line in console.export_text().splitlines())
    assert widest <= 80, widest
