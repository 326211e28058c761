"""Reports people open: the province workbook and page, and the district feedback workbook."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from transforms.reports.province_data import load_province_report, province_years
from transforms.reports.province_excel import write_report_workbook
from transforms.reports.province_html import write_report_html


def report_paths(out_dir: Path, province_code: str, year: int) -> tuple[Path, Path]:
    """Return where the Excel and HTML reports of a province and year go under out_dir."""
    folder = Path(out_dir) / str(year) / province_code
    stem = f"bao-cao-19-2_{province_code}_{year}"
    return folder / f"{stem}.xlsx", folder / f"{stem}.html"


def write_reports(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    province_year_pairs: Iterable[tuple[str, int]],
) -> list[Path]:
    """Write both province reports of every (province_code, year) into out_dir/<year>/<province>/.

    Returns the paths written, Excel then HTML for each pair, in the order given.
    """
    written: list[Path] = []
    for province_code, year in province_year_pairs:
        report = load_province_report(con, province_code, int(year))
        xlsx, page = report_paths(out_dir, province_code, int(year))
        written.append(write_report_workbook(report, xlsx))
        written.append(write_report_html(report, page))
    return written


__all__ = ["province_years", "report_paths", "write_reports"]
