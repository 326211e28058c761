"""Where one national year's work goes: the nightly sequence's steps one after another.

`make bench` runs this once beside scenario (a): every step of `transforms.pipeline.nightly`
on the same 696 files, called in this one process with no thread, pool or orchestrator
(each file read by `read_file`, as a reader process reads it), with the wall and CPU time
of each. Their sum is the work that the run spreads over the cores; what (a) costs beyond
it is the price of spreading it (processes, pipes, threads waiting for the GIL, Prefect).

`python -m bench.steps HOME` fills HOME's inbox with the national year and prints the
steps as JSON lines.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import schemas.communes  # noqa: F401  (imported before the clock starts, as in a run)
import schemas.models  # noqa: F401
from ntm.settings import Settings
from transforms import pipeline
from transforms.reference import versions as rv
from transforms.validation.validate import check_read, read_file
from transforms.warehouse.connection import connect
from transforms.warehouse.duck import cursor_of, transaction
from transforms.warehouse.ledger import record_batch


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# How `pipeline.nightly` runs each step, for the bound its order sets on a run's wall time:
# alone (nothing else runs meanwhile), over the cores (the readers, with the opening of the
# warehouse beside them), beside the publishing (the feedback and the reports, in the
# main thread while the publishing runs in another), or the publishing itself.
ALONE, SPREAD, BESIDE, PUBLISHING = "alone", "over the cores", "beside", "publishing"


@contextmanager
def _timed(steps: list[dict[str, Any]], name: str, runs: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), _cpu()
    yield
    steps.append(
        {"step": name, "runs": runs, "seconds": time.perf_counter() - wall, "cpu": _cpu() - cpu}
    )


def bound(steps: list[dict[str, Any]], cores: int) -> float:
    """Return the least wall time the steps' order allows on this many cores: what runs alone,
    plus what is spread over the cores shared among them, plus the longer of the publishing
    and what runs beside it."""

    def total(runs: str) -> float:
        return sum(s["seconds"] for s in steps if s["runs"] == runs)

    return total(ALONE) + total(SPREAD) / cores + max(total(BESIDE), total(PUBLISHING))


def national_steps(home: Path) -> list[dict[str, Any]]:
    """Return each step's name, wall and CPU seconds for the inbox of `home`."""
    # what the readers' forkserver holds before a run (preload.py)
    for version in rv.load_versions().values():
        for lookup in ("province_names", "district_by_code", "commune_by_code"):
            getattr(version.registry, lookup)
    rv.prepare_name_matching()
    settings = Settings.from_env(str(home))
    settings.ensure()
    steps: list[dict[str, Any]] = []
    step: Callable[[str, str], Any] = lambda name, runs: _timed(steps, name, runs)  # noqa: E731
    with step("take the inbox (hash, copy, flush)", ALONE):
        received = pipeline.take_inbox(settings).received
    with step("open a new warehouse (reference data)", SPREAD):
        con = connect(settings.warehouse)
    with step("read every file (the readers' work)", SPREAD):
        read = [read_file(r.archive_path, r.name) for r in received]
    with step("check the batch (pandera)", ALONE):
        validated = check_read(read)
    run = pipeline.RunStart.now("steps", "nightly")
    with transaction(con):
        with step("record the batch (ledger, rows)", ALONE):
            outcome = record_batch(con, received, validated, run.run_id)
        with step("rebuild the marts", ALONE):
            pipeline.recompute(con, outcome.changed)
        summary = pipeline._completed(run, outcome.submissions, outcome.changed)
        pipeline.record_run(con, summary)
    with step("write the feedback workbooks", BESIDE):
        pipeline.write_feedback_for(settings, received, validated.results, summary.submissions)
    with step("write the province reports", BESIDE):
        pipeline.write_reports_for(con, settings, pipeline.report_pairs(con, set(summary.changed)))
    with step("publish (snapshot, Parquet)", PUBLISHING):
        pipeline.publish(cursor_of(con), settings)
    con.close()
    return steps


if __name__ == "__main__":
    from bench.run import fill_inbox

    os.environ["NTM_SETTLE_SECONDS"] = "0"  # the files were just copied in: take them now
    target = Path(sys.argv[1])
    shutil.rmtree(target, ignore_errors=True)
    fill_inbox(target, [2023])
    for row in national_steps(target):
        print(json.dumps(row))
