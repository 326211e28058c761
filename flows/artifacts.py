"""Prefect artifacts for a run: the submissions table and a markdown summary."""

from __future__ import annotations

import duckdb
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from ntm.transforms import pipeline
from ntm.transforms.summary import province_table_markdown


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
            table=table.to_dict(orient="records"),
            description="Files processed by this run",
        )
    create_markdown_artifact(
        key="province-results",
        markdown=province_table_markdown(con),
        description="Province results against target 19.2 and the flagged communes",
    )
