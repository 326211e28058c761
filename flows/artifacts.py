"""Prefect artifacts for a run: the submissions table and a markdown summary."""

from __future__ import annotations

import duckdb
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from transforms import pipeline
from transforms.intake.inbox import LEFT_REASONS
from transforms.reports.province_table import province_table_markdown


def publish_run_artifacts(con: duckdb.DuckDBPyConnection, summary: pipeline.RunSummary) -> None:
    """Attach the processed submissions and the province results to the flow run."""
    subs = summary.submissions
    if not subs.empty:
        table = (
            subs[
                [
                    "submission_id",
                    "file_name",
                    "district_code",
                    "year",
                    "status",
                    "error_count",
                    "warning_count",
                ]
            ]
            .astype(object)
            .where(subs.notna(), None)
        )
        create_table_artifact(
            key="submissions",
            table=[{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")],
            description="Files processed by this run",
        )
    create_markdown_artifact(
        key="inbox-left",
        markdown=inbox_left_markdown(summary),
        description="Files this run saw in the inbox and left there, and why",
    )
    create_markdown_artifact(
        key="province-results",
        markdown=province_table_markdown(con),
        description="Province results against target 19.2 and the flagged communes",
    )


def inbox_left_markdown(summary: pipeline.RunSummary) -> str:
    """Return the files a run left in the inbox, and why, as a markdown table."""
    left = summary.left_in_inbox
    if not left:
        return "Nothing was left in the inbox: every file there was taken."
    lines = [
        f"{len(left)} file(s) left in the inbox:",
        "",
        "| file | why it was left |",
        "|---|---|",
    ]
    for f in left:
        name = f.name.replace("|", "\\|")
        lines.append(f"| {name} | {LEFT_REASONS[f.reason]} |")
    return "\n".join(lines)
