"""The benchmark's own arithmetic: what it prints about a run's work against the ratio."""

from __future__ import annotations

import os

from bench.run import BASELINE_RATIO, cpu_jiffies, work_floor


def test_busy_and_idle_ticks_only_grow_while_the_machine_works() -> None:
    before = cpu_jiffies()
    sum(i * i for i in range(2_000_000))  # some work on one core
    after = cpu_jiffies()
    assert all(a >= b for a, b in zip(after, before, strict=True))
    assert after[0] > before[0]


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
