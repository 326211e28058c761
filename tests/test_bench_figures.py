"""The benchmark's own arithmetic: what it prints about a run's work against the ratio."""

from __future__ import annotations

import os
from pathlib import Path

from pytest import MonkeyPatch

from bench.run import BASELINE_RATIO, busy_ticks, work_floor
from bench.steps import ALONE, BESIDE, PUBLISHING, SPREAD, bound, national_steps
from transforms.demo.generate import generate_district_files


def test_the_busy_ticks_grow_while_the_machine_works() -> None:
    before = busy_ticks()
    sum(i * i for i in range(2_000_000))  # some work on one core, tens of ticks
    assert busy_ticks() > before


def test_work_floor_says_when_the_work_alone_rules_out_the_ratio() -> None:
    cores = os.cpu_count() or 1
    # a run of 4 s that kept the cores busy for 3 core-seconds each, against a baseline
    # whose ratio asks for 2 s: the work fits the cores only in 2 * cores core-seconds
    text = work_floor(4.0, 3.0 * cores, 2.0 * BASELINE_RATIO, None)
    assert f"{3.0 * cores:.1f} core-seconds, cores 75% busy" in text
    assert "cannot end before 3.00 s" in text
    assert f"asks for (a) in 2.00 s: at most {2.0 * cores:.1f} core-seconds" in text
    assert "plain functions" not in work_floor(4.0, 1.0, 100.0, None)
    assert "(plain functions 2.5)" in work_floor(4.0, 1.0, 100.0, 2.5)


def test_the_steps_bound_shares_only_the_spread_steps_among_the_cores() -> None:
    steps = [
        {"step": "take", "runs": ALONE, "seconds": 0.5},
        {"step": "open", "runs": SPREAD, "seconds": 1.0},
        {"step": "read", "runs": SPREAD, "seconds": 3.0},
        {"step": "marts", "runs": ALONE, "seconds": 1.0},
        {"step": "feedback", "runs": BESIDE, "seconds": 0.25},
        {"step": "reports", "runs": BESIDE, "seconds": 1.0},
        {"step": "publish", "runs": PUBLISHING, "seconds": 1.0},
    ]
    assert bound(steps, 2) == 0.5 + 4.0 / 2 + 1.0 + 1.25
    assert bound(steps, 4) == 0.5 + 4.0 / 4 + 1.0 + 1.25


def test_every_step_of_a_small_run_is_timed(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setenv("NTM_SETTLE_SECONDS", "0")
    generate_district_files(tmp_path / "inbox", ["119", "400"], [2023], seed=3)
    steps = national_steps(tmp_path)
    assert [s["step"].split(" (")[0] for s in steps] == [
        "take the inbox",
        "open a new warehouse",
        "read every file",
        "check the batch",
        "record the batch, rebuild the marts",
        "write the feedback workbooks",
        "write the province reports",
        "publish",
    ]
    assert [s["runs"] for s in steps] == [ALONE, SPREAD, SPREAD, ALONE, ALONE] + [BESIDE] * 2 + [
        PUBLISHING
    ]
    assert all(s["seconds"] > 0 and s["cpu"] >= 0 for s in steps)
    # the run was real: both files recorded, the marts and a province report written
    assert len(list((tmp_path / "archive").rglob("*.xlsx"))) == 2
    assert list((tmp_path / "reports").rglob("*.html"))
