"""What a person reads after a run: province results against the targets, flagged communes."""

from __future__ import annotations

import duckdb
import pandas as pd

PROVINCE_COLUMNS = {
    "year": "Year",
    "province_name": "Province",
    "districts_reported": "Districts reported",
    "districts_expected": "Districts",
    "communes_meeting": "Communes meeting 19.2",
    "communes_expected": "Communes",
    "pct_meeting": "% meeting",
    "communes_needed": "More needed for 99%",
    "pct_meeting_advanced": "% advanced",
    "pct_districts_crime_reduction": "% districts -5% crime vs 2019",
}
# The same figures for an 80-column terminal: the year is in the title, counts of a total
# share a cell, the province loses its type word.
TERMINAL_HEADERS = ("Province", "Districts", "Meeting", "%", "Needed", "% adv.", "-5%")
_TYPE_WORDS = ("Thành phố ", "Tỉnh ")


def province_results(con: duckdb.DuckDBPyConnection, year: int | None = None) -> pd.DataFrame:
    """Return one row per province and year (the latest year unless one is given)."""
    return con.execute(
        """
        select p.province_name, s.*
        from marts.province_summary as s
        join ref.provinces as p using (province_code)
        where s.year = coalesce(?, (select max(year) from marts.province_summary))
        order by s.province_code
        """,
        [year],
    ).df()


def flagged_communes(
    con: duckdb.DuckDBPyConnection, year: int | None = None, limit: int = 20
) -> pd.DataFrame:
    """Return the communes falling short in a year with the conditions they fail."""
    return con.execute(
        """
        select a.province_code, a.district_code, a.commune_code, a.commune_name,
               array_to_string(a.failed_conditions, ', ') as failed
        from marts.commune_assessment as a
        where a.status = 'falls_short'
          and a.year = coalesce(?, (select max(year) from marts.commune_assessment))
        order by a.commune_code
        limit ?
        """,
        [year, limit],
    ).df()


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 else f"{value:,.0f}"
    return str(value)


def province_rows(
    con: duckdb.DuckDBPyConnection, year: int | None = None
) -> tuple[list[str], list[list[str]]]:
    """Return (headers, formatted rows) of the province results, for tables and markdown."""
    frame = province_results(con, year)
    headers = list(PROVINCE_COLUMNS.values())
    rows = [[_fmt(rec[key]) for key in PROVINCE_COLUMNS] for rec in frame.to_dict("records")]
    return headers, rows


def province_rows_terminal(
    con: duckdb.DuckDBPyConnection, year: int | None = None
) -> tuple[tuple[str, ...], list[list[str]]]:
    """Return (headers, rows) of the province results narrow enough for 80 columns:
    districts reported/expected, communes meeting/expected, % meeting, communes still
    needed for the 99% target, % advanced, % of districts meeting the 5% reduction."""
    rows = []
    for rec in province_results(con, year).to_dict("records"):
        name = str(rec["province_name"])
        for word in _TYPE_WORDS:
            name = name.removeprefix(word)
        rows.append(
            [
                name,
                f"{_fmt(rec['districts_reported'])}/{_fmt(rec['districts_expected'])}",
                f"{_fmt(rec['communes_meeting'])}/{_fmt(rec['communes_expected'])}",
                _fmt(rec["pct_meeting"]),
                _fmt(rec["communes_needed"]),
                _fmt(rec["pct_meeting_advanced"]),
                _fmt(rec["pct_districts_crime_reduction"]),
            ]
        )
    return TERMINAL_HEADERS, rows


def province_table_markdown(con: duckdb.DuckDBPyConnection, year: int | None = None) -> str:
    """Return the province results and the first flagged communes as markdown."""
    headers, rows = province_rows(con, year)
    lines = [
        "# Target 19.2 by province",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    flagged = flagged_communes(con, year)
    if not flagged.empty:
        lines += [
            "",
            "## Communes falling short (first 20)",
            "",
            "| Commune | Name | Failed conditions |",
            "|---|---|---|",
        ]
        lines += [
            f"| {r.commune_code} | {r.commune_name} | {r.failed} |" for r in flagged.itertuples()
        ]
    return "\n".join(lines)
