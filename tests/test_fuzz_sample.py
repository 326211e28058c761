"""A seeded sample of the fuzzer (bench/fuzz.py, `make fuzz` runs 10,000): mutated copies of
valid workbooks in the four formats never crash the validator nor a nightly run."""

from __future__ import annotations

import random
from pathlib import Path

from bench import fuzz

SEED = 20261201
COUNT = 300


def test_a_seeded_sample_of_mutants_crashes_nothing(tmp_path: Path):
    figures = fuzz.fuzz(COUNT, SEED, tmp_path / "crashers", tmp_path / "work")
    assert figures.crashed == 0, [p.name for p in figures.kept]
    assert figures.accepted + figures.rejected == COUNT
    assert figures.rejected > COUNT // 3  # the mutations do break files
    assert figures.peak_worker_bytes < 1 << 30


def test_one_nightly_run_takes_good_files_and_mutants_together(tmp_path: Path):
    seeds = fuzz.write_seeds(tmp_path / "seeds", SEED)
    rng = random.Random(SEED)
    sample = []
    for i in range(60):
        source = rng.choice(seeds)
        mutant = fuzz.mutate(rng, source)
        path = tmp_path / "sample" / f"m{i:03d}-{'+'.join(mutant.names)}{source.suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(mutant.data)
        sample.append(path)
    night = fuzz.nightly(seeds, [], sample, tmp_path / "nightly")
    assert night.completed
    assert night.good_loaded == night.good == len(seeds)
    assert sum(night.statuses.values()) == night.files
    assert night.rejected_without_error == 0
