"""A person watching a run sees its stages go by, with counts; nobody listening costs nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline, progress


def _inbox(tmp_path: Path, districts: tuple[str, ...]) -> Settings:
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    for district in districts:
        path = Book(district=district).write(settings.inbox / f"{district}.xlsx")
        os.utime(path, (time.time() - 60,) * 2)
    return settings


def test_a_nightly_run_reports_each_stage_in_order_with_its_counts(tmp_path):
    settings = _inbox(tmp_path, ("119", "118"))
    events: list[progress.Event] = []
    with progress.listening(events.append):
        summary = pipeline.run_once(settings, "run-1")
    finished = [(e.stage, e.done, e.total) for e in events if e.done and e.done == e.total]
    # publishing starts after recording and runs beside the feedback and reports: it
    # is said done last, when the run has waited for it
    assert [stage for stage, _, _ in finished] == [
        "inbox",
        "reading",
        "recording",
        "feedback",
        "reports",
        "publishing",
    ]
    assert ("reading", 2, 2) in finished
    assert ("reports", 1, 1) in finished  # 2023 only: nobody has submitted 2024
    assert [(r.province_code, r.year) for r in summary.reports] == [("14", 2023)]
    started = [e.stage for e in events if e.done == 0]
    assert started == ["inbox", "reading", "recording", "publishing", "feedback", "reports"]


def test_a_backfill_reports_recomputing_and_a_listener_leaves_when_its_block_ends(tmp_path):
    settings = _inbox(tmp_path, ("119",))
    pipeline.run_once(settings, "run-1")
    events: list[progress.Event] = []
    with progress.listening(events.append):
        pipeline.backfill(settings, pipeline.RunStart.now("run-2", "backfill"), range(2023, 2024))
    assert "recomputing" in {e.stage for e in events}
    before = len(events)
    progress.report("reading", 1, 2)
    assert len(events) == before
