"""Where one national year's work goes: the nightly sequence's steps one after another.

`make bench` runs this right after scenario (a): every step of `transforms.pipeline.nightly`
on the same 696 files, called in one process set up as a run's, with no thread, pool or
orchestrator (each file read by `read_file`, as a reader process reads it), with the wall
and CPU time of each. Their sum is the work that the run spreads over the cores; what (a)
costs beyond it is the price of spreading it (processes, pipes, threads waiting for the
GIL, Prefect). `bound` adds the steps up as the run orders them.

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

# How `pipeline.nightly` runs each step, for the bound its order sets on a run's wall time:
# alone (nothing else runs meanwhile), over the cores (the readers, with the opening of the
# warehouse beside them), beside the publishing (the feedback and the reports, in the
# main thread while the publishing runs in another), or the publishing itself.
ALONE, SPREAD, BESIDE, PUBLISHING = "alone", "over the cores", "beside", "publishing"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
    """Return each step's name, how the run runs it, and its wall and CPU seconds, for the
    inbox of `home`."""
    # imported here, after the caller set the process up as a run's (see __main__), and
    # before the clock starts, as in a run
    import schemas.communes  # noqa: F401
    import schemas.models  # noqa: F401
    from ntm.settings import Settings
    from transforms import pipeline
    from transforms.reference.versions import prepare_for_readers
    from transforms.validation.validate import check_read, read_file
    from transforms.warehouse.connection import connect
    from transforms.warehouse.duck import cursor_of

    prepare_for_readers()  # what the readers' forkserver holds before a run
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
    with step("record the batch, rebuild the marts", ALONE):
        run = pipeline.RunStart.now("steps", "nightly")
        summary = pipeline.commit_batch(con, received, validated, run)
    with step("write the feedback workbooks", BESIDE):
        pipeline.write_feedback_for(settings, received, validated.results, summary.submissions)
    with step("write the province reports", BESIDE):
        pipeline.write_reports_for(con, settings, pipeline.report_pairs(con, set(summary.changed)))
    with step("publish (snapshot, Parquet)", PUBLISHING):
        pipeline.publish(cursor_of(con), settings)
    con.close()
    return steps


if __name__ == "__main__":
    # the process as `ntm` sets up a run's, before pandera loads (bench.run's child does too)
    from transforms.collector import collect_less_often
    from transforms.validation.extras import set_up_pipeline_process

    collect_less_often()
    set_up_pipeline_process()
    from bench.run import fill_inbox

    os.environ["NTM_SETTLE_SECONDS"] = "0"  # the files were just copied in: take them now
    target = Path(sys.argv[1])
    shutil.rmtree(target, ignore_errors=True)
    fill_inbox(target, [2023])
    for row in national_steps(target):
        print(json.dumps(row))
