"""`make bench`: national-scale figures, printed, against the targets of issue 15.

Generates (once, cached in bench/out/) every district of the registry for
2019-2025 with the demo generator, starts a Prefect server on loopback, and
measures each scenario in a fresh subprocess: median wall time of the
operation over several runs, reports included, and the peak RSS of the process.
Scenario (a) runs twice: as the `nightly` flow with the API up, and as the same
sequence of plain functions (`transforms.pipeline.nightly`), so the orchestration's
cost is printed as their difference. The naive baseline (bench/baseline.py) runs in
the same session for the ratio. Scenario `dask` (run last, only when --only names it)
is (a) with reading fanned out over a local Dask cluster. The province reports of
(a), one national year, are also timed on their own and their total size printed.
Each scenario also gives the core-seconds the machine was busy during its runs and its
speed just before each run (a pure-Python calibration); right after (a), its steps run one
after another in one process (bench/steps.py), to show where the work goes and the least
wall time the steps' order allows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = OUT / "national"
YEARS = range(2019, 2026)
SEED = 20251
RESUBMIT_DISTRICT = "119"

TARGETS = {  # scenario -> (seconds, description)
    "a": (5.0, "one national year (696 files), nightly flow, API up"),
    "b": (30.0, "seven years (4,872 files)"),
    "c": (1.0, "rerun with nothing new"),
    "d": (2.0, "one district resubmits one year, full warehouse"),
    "e": (0.6, "`ntm validate` on one district file, whole process"),
}
MAX_RSS_MB = 1024
E_REPEAT = 9  # runs of (e) at least
# the flow may cost at most this much more than the same steps as plain functions
ORCHESTRATION_TARGET_S = 1.0
BASELINE_RATIO = 30.0
# the province reports of one national year (scenario a), timed apart from the run
REPORTS_TARGET_S = 1.5
# scenario `dask`: (a) with reading fanned out over a local Dask cluster (no target; it is
# printed beside (a)); one thread per worker process, as parsing holds the GIL
DASK_WORKERS = 2
DASK_ENV = {
    "NTM_TASK_RUNNER": "dask",
    "NTM_DASK_WORKERS": str(DASK_WORKERS),
    "NTM_DASK_THREADS_PER_WORKER": "1",
}


# --- data ------------------------------------------------------------------------


def ensure_data() -> None:
    """Generate the national dataset once (about a minute); later runs reuse it."""
    stamp = DATA / f".complete-{SEED}"
    if stamp.exists():
        return
    from transforms.demo.generate import generate_district_files
    from transforms.reference.registry import load_registry

    shutil.rmtree(DATA, ignore_errors=True)
    codes = list(load_registry().districts["district_code"])
    started = time.perf_counter()
    for year in YEARS:
        generate_district_files(DATA / str(year), codes, [year], SEED)
    print(
        f"generated {len(codes) * len(YEARS):,} workbooks in {time.perf_counter() - started:.0f} s"
    )
    stamp.touch()


def fill_inbox(home: Path, years: list[int]) -> Path:
    inbox = home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for year in years:
        for f in (DATA / str(year)).iterdir():
            shutil.copy2(f, inbox / f.name)  # keeps the modification time (received_at)
    return inbox


def resubmission(home: Path) -> None:
    """Drop a corrected workbook of one district for 2023 (new bytes, same district and year)."""
    from transforms.demo.generate import generate_district_files

    generate_district_files(home / "inbox", [RESUBMIT_DISTRICT], [2023], SEED + 1)
    for f in (home / "inbox").iterdir():
        os.utime(f, (time.time() - 60,) * 2)


# --- child: one measured operation in a fresh process ------------------------------------


def busy_ticks() -> int:
    """Return the clock ticks the machine's cores have been busy since boot, all summed.

    Read system-wide, not per process: a run's work is spread over the readers (children
    of the forkserver, not of the measured process), DuckDB's threads and, for a flow, the
    Prefect server; on a machine doing nothing else the busy ticks over a run are its work.
    """
    with open("/proc/stat") as fh:
        user, nice, system, idle, iowait, irq, softirq = map(int, fh.readline().split()[1:8])
    return user + nice + system + irq + softirq


def child(op: str, home: Path) -> None:
    """Run one operation and print its wall time and the process's peak RSS as JSON."""
    os.environ["NTM_SETTLE_SECONDS"] = "0"
    if op != "baseline":  # the process as `ntm` sets it up (the naive baseline keeps Python's)
        from transforms.collector import collect_less_often
        from transforms.validation.extras import set_up_pipeline_process

        collect_less_often()
        set_up_pipeline_process()
    if op == "baseline":
        from bench.baseline import run_baseline

        run: Callable[[], object] = lambda: run_baseline(home / "inbox", home / "baseline.duckdb")  # noqa: E731
    elif op == "plain":
        # the same sequence as the flow, its steps called as plain functions, the readers
        # started beforehand as for the flow (and `ntm run`)
        from ntm.cli import start_readers
        from ntm.settings import Settings
        from transforms import pipeline

        start_readers(Settings.from_env(str(home)))
        import flows.nightly  # noqa: F401  (the flow's process exactly: only the call differs)

        def run() -> object:
            summary = pipeline.nightly(
                Settings.from_env(str(home)), pipeline.RunStart.now("plain", "nightly")
            )
            return summary.counts()
    else:
        # as `ntm run` runs it: the readers started before Prefect is imported, no heartbeats
        from ntm.cli import start_readers
        from ntm.settings import Settings

        start_readers(Settings.from_env(str(home)))
        from flows.nightly import nightly, run_by_hand

        def run() -> object:
            return run_by_hand(nightly, home=str(home))

    # the machine's speed right now: the same machine has run the same code half again as
    # slowly from one minute to the next, so each scenario says how fast it was then
    speed = calibration(runs=3)
    started, wall_started, ticks = time.perf_counter(), time.time(), busy_ticks()
    counts = run()
    seconds = time.perf_counter() - started
    busy = (busy_ticks() - ticks) / os.sysconf("SC_CLK_TCK")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the largest of the child processes the run started and waited for
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    # the whole run counts, reports included; their own time is printed apart as well
    reports = float(counts.get("reports_seconds", 0.0)) if isinstance(counts, dict) else 0.0
    # what this run wrote, counted on disk (a province report is an .xlsx and an .html);
    # a home copied from an earlier run holds that run's reports too: only newer files count
    written = [
        f
        for f in (home / "reports").rglob("*")
        if f.is_file() and f.stat().st_mtime >= wall_started
    ]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "busy_core_seconds": busy,
                "calibration_seconds": speed,
                "reports_seconds": reports,
                "reports": sum(f.suffix == ".html" for f in written),
                "reports_files": len(written),
                "reports_bytes": sum(f.stat().st_size for f in written),
                "peak_rss_mb": peak,
                "worker_peak_rss_mb": children,
            }
        )
    )


def _python_module(args: list[str], env: dict[str, str], what: str) -> str:
    """Return what `python -m <args>` printed, run in a fresh process; raise with the end of
    its error output when it failed."""
    done = subprocess.run(
        # run as a module from the project root: `bench` imports by its name, like every package
        [sys.executable, "-m", *args],
        cwd=HERE.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure(op: str, home: Path, env: dict[str, str]) -> dict[str, float]:
    out = _python_module(["bench.run", "_child", op, str(home)], env, op)
    return json.loads(out.strip().splitlines()[-1])


def measure_validate(path: Path) -> dict[str, float]:
    ntm = str(Path(sys.executable).with_name("ntm"))
    speed = calibration(runs=3)  # as for the other scenarios (see child)
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", ntm, "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr)
    peak_kb = float(done.stderr.strip().splitlines()[-1])
    return {"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "calibration_seconds": speed}


def calibration(runs: int = 5) -> float:
    """Return the median time of a fixed pure-Python loop: the machine's speed today.

    The same machine has run this benchmark 20% and twice as slow from one day to the
    next (the naive baseline took 94 s one day and 116 s another); printed beside the
    figures, this tells a slower machine from slower code when runs are compared."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i % 7
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# --- scenarios ------------------------------------------------------------------------


def scenario(name: str, repeat: int, env: dict[str, str], work: Path) -> list[dict[str, float]]:
    runs = []
    for i in range(repeat):
        home = work / f"{name}-{i}"
        shutil.rmtree(home, ignore_errors=True)
        if name == "a":
            fill_inbox(home, [2023])
            runs.append(measure("nightly", home, env))
        elif name == "plain":
            fill_inbox(home, [2023])
            runs.append(measure("plain", home, env))
        elif name == "dask":
            fill_inbox(home, [2023])
            runs.append(measure("nightly", home, {**env, **DASK_ENV}))
        elif name == "baseline":
            fill_inbox(home, [2023])
            runs.append(measure("baseline", home, env))
        elif name in ("b", "c", "d"):
            base = work / "b-full"
            if name == "b" or not base.exists():
                shutil.rmtree(base, ignore_errors=True)
                fill_inbox(base, list(YEARS))
                result = measure("nightly", base, env)
                if name == "b":
                    runs.append(result)
                    continue
            shutil.copytree(base, home)
            if name == "d":
                resubmission(home)
            runs.append(measure("nightly", home, env))
        elif name == "e":
            sample = sorted((DATA / "2023").glob("*.xlsx"))[0]
            runs.append(measure_validate(sample))
        shutil.rmtree(home, ignore_errors=True)
    return runs


def measure_steps(home: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """Return the steps of a national year run one after another in a fresh process
    (bench/steps.py): each step's name, wall and CPU seconds."""
    out = _python_module(["bench.steps", str(home)], env, "steps")
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def print_steps(steps: list[dict[str, Any]], seconds: float, busy: float) -> None:
    """Print where a national year's work goes, against what (a) took and kept busy."""
    from bench.steps import bound

    cores = os.cpu_count() or 1
    print("   where (a)'s work goes: its steps one after another in one process")
    print(f"     {'step':<40} {'runs in (a)':<15} {'wall s':>7} {'CPU s':>7}")
    for s in steps:
        print(f"     {s['step']:<40} {s['runs']:<15} {s['seconds']:>7.2f} {s['cpu']:>7.2f}")
    wall, cpu = sum(s["seconds"] for s in steps), sum(s["cpu"] for s in steps)
    print(f"     {'in all':<56} {wall:>7.2f} {cpu:>7.2f}")
    print(
        f"   their order bounds (a) at {bound(steps, cores):.2f} s on {cores} cores"
        f" ((a) took {seconds:.2f} s, {busy:.1f} core-seconds busy)"
    )


def work_floor(seconds: float, busy: float, baseline: float, plain_busy: float | None) -> str:
    """Return, in words, the CPU work of (a) against the time the baseline ratio asks for.

    However well a run overlaps its steps, its work spread over every core sets a floor on
    its wall time; the ratio's target is out of reach while that floor is above
    baseline / ratio."""
    cores = os.cpu_count() or 1
    floor = busy / cores
    needed = baseline / BASELINE_RATIO
    plain = f" (plain functions {plain_busy:.1f})" if plain_busy is not None else ""
    return (
        f"   (a)'s work: {busy:.1f} core-seconds{plain}, cores {busy / (cores * seconds):.0%} busy;"
        f" on {cores} cores it cannot end before {floor:.2f} s.\n"
        f"   {BASELINE_RATIO:.0f}x asks for (a) in {needed:.2f} s: at most {needed * cores:.1f}"
        f" core-seconds of work, every core busy throughout"
    )


def median_of(runs: list[dict[str, float]], key: str) -> float:
    """Return the median of one figure over a scenario's runs."""
    return statistics.median(r[key] for r in runs)


def summarise(runs: list[dict[str, float]]) -> tuple[float, float, float, int]:
    """Return median seconds, max peak RSS, median report seconds and report count."""
    return (
        statistics.median(r["seconds"] for r in runs),
        max(r["peak_rss_mb"] for r in runs),
        statistics.median(r.get("reports_seconds", 0.0) for r in runs),
        int(max(r.get("reports", 0) for r in runs)),
    )


def reports_size(runs: list[dict[str, float]]) -> tuple[int, int]:
    """Return the files and bytes of the reports the last run wrote."""
    return int(runs[-1].get("reports_files", 0)), int(runs[-1].get("reports_bytes", 0))


def scenarios(only: str) -> list[str]:
    """Return the scenarios named by --only: letters a-e, and `dask` anywhere (run last)."""
    letters = only.replace("dask", "").replace(",", "").strip()
    unknown = sorted(set(letters) - set(TARGETS))
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}")
    return list(letters) + (["dask"] if "dask" in only else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument(
        "--only", default="abcde,dask", help="scenarios to run, e.g. 'ae' or 'a,dask'"
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    ensure_data()
    from bench.bytecode import compile_project

    compile_project()  # the modules as they are now, as an installed copy has them
    from tests.local_server import local_server

    work = Path(tempfile.mkdtemp(prefix="ntm-bench-"))
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" pure-Python calibration {calibration():.3f} s; work dir {work}"
    )
    results: dict[str, tuple[float, float, float, int]] = {}
    busy: dict[str, float] = {}  # median core-seconds the machine was busy during a run
    speed: dict[str, float] = {}  # median calibration just before each run of a scenario
    steps: list[dict[str, Any]] = []  # (a)'s steps one after another (bench/steps.py)
    sizes: dict[str, tuple[int, int]] = {}
    order = scenarios(args.only)
    # (e) needs no orchestrator: measured before the Prefect server starts, whose
    # background services would otherwise share the two cores with it
    if "e" in order:
        # a run costs half a second: more of them make the median steadier on a machine
        # whose speed drifts
        runs = scenario("e", max(args.repeat, E_REPEAT), dict(os.environ), work)
        results["e"] = summarise(runs)
        calibrated = median_of(runs, "calibration_seconds")
        print(
            f"  e: median {results['e'][0]:.2f} s (calibration {calibrated:.3f} s),"
            f" peak RSS {results['e'][1]:.0f} MB"
        )
    with local_server(work / "prefect", work / "server.log") as env:
        # (a) as plain functions right after (a) itself: their difference is orchestration
        named = [n for n in order if n != "e"]
        if "a" in named:
            named.insert(named.index("a") + 1, "plain")
        for name in named:
            runs = scenario(name, args.repeat, env, work)
            results[name] = summarise(runs)
            sizes[name] = reports_size(runs)
            busy[name] = median_of(runs, "busy_core_seconds")
            speed[name] = median_of(runs, "calibration_seconds")
            if name == "plain":
                # right after (a) and its plain twin, while the machine runs as fast as then
                steps = measure_steps(work / "steps", env)
            seconds, rss, rep_s, reps = results[name]
            workers = f" on {DASK_WORKERS} Dask workers" if name == "dask" else ""
            # worker processes the run waited for (the Dask workers; not the forkserver pool's)
            worker_mb = max(r.get("worker_peak_rss_mb", 0.0) for r in runs)
            print(
                f"  {name}: median {seconds:.2f} s{workers} ({busy[name]:.1f} core-seconds busy,"
                f" calibration {speed[name]:.3f} s), peak RSS {rss:.0f} MB"
                f"{f' (largest worker {worker_mb:.0f} MB)' if worker_mb else ''}"
                f"{f'; then {reps} province reports in {rep_s:.1f} s' if reps else ''}"
            )
        if not args.no_baseline and "a" in results:
            runs = scenario("baseline", 1, env, work)
            results["baseline"] = summarise(runs)
            busy["baseline"] = median_of(runs, "busy_core_seconds")
            speed["baseline"] = median_of(runs, "calibration_seconds")
            print(
                f"  baseline (a): {results['baseline'][0]:.2f} s"
                f" ({busy['baseline']:.1f} core-seconds busy,"
                f" calibration {speed['baseline']:.3f} s)"
            )
    shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'scenario':<58} {'median s':>9} {'target s':>9} {'peak MB':>8}  verdict")
    for name, (seconds, rss, _, _) in results.items():
        if name in ("baseline", "dask", "plain"):
            continue
        target, label = TARGETS[name]
        ok = seconds <= target and rss <= MAX_RSS_MB
        print(
            f"{name}. {label:<55} {seconds:>9.2f} {target:>9.1f} {rss:>8.0f}  "
            f"{'meets' if ok else 'MISSES'}"
        )
    if "plain" in results and "a" in results:
        plain, a = results["plain"][0], results["a"][0]
        label = "(a) as plain functions, same data and steps"
        print(f"   {label:<55} {plain:>9.2f} {'-':>9} {results['plain'][1]:>8.0f}")
        overhead = a - plain
        verdict = "meets" if overhead <= ORCHESTRATION_TARGET_S else "MISSES"
        label = "orchestration: (a) flow minus (a) plain"
        print(f"   {label:<55} {overhead:>9.2f} {ORCHESTRATION_TARGET_S:>9.1f} {'-':>8}  {verdict}")
    if "baseline" in results and "a" in results:
        base, a = results["baseline"][0], results["a"][0]
        verdict = "meets" if base / a >= BASELINE_RATIO else "MISSES"
        print(
            f"baseline for (a): read_excel, pandera per file, row inserts, pandas reports: "
            f"{base:.2f} s, ratio {base / a:.1f}x (target >= {BASELINE_RATIO:.0f}x)  {verdict}"
        )
        print(work_floor(a, busy["a"], base, busy.get("plain")))
        print(
            f"   the machine's calibration just before (a): {speed['a']:.3f} s,"
            f" before the baseline: {speed['baseline']:.3f} s (lower is faster)"
        )
    if steps and "a" in results:
        print_steps(steps, results["a"][0], busy["a"])
    if "dask" in results:
        seconds, rss = results["dask"][:2]
        label = f"(a) on a local Dask cluster, {DASK_WORKERS} worker processes x 1 thread"
        beside = f"; local runner (a): {results['a'][0]:.2f} s" if "a" in results else ""
        print(f"dask. {label:<55} {seconds:>9.2f} {'-':>9} {rss:>8.0f}{beside}")
    if "a" in results and results["a"][3]:
        rep_s, reps = results["a"][2:]
        files, size = sizes["a"]
        label = f"reports of one national year, timed apart ({reps} provinces)"
        print(
            f"   {label:<55} {rep_s:>9.2f} {REPORTS_TARGET_S:>9.1f} {'-':>8}  "
            f"{'meets' if rep_s <= REPORTS_TARGET_S else 'MISSES'}; "
            f"{files} files, {size / 1e6:.1f} MB in all"
        )
    reports = [(n, r[2], r[3]) for n, r in results.items() if r[3] and n not in ("a", "baseline")]
    for name, rep_s, reps in reports:
        files, size = sizes.get(name, (0, 0))
        print(
            f"reports after ({name}), timed apart: {reps} province-years in {rep_s:.1f} s,"
            f" {files} files, {size / 1e6:.1f} MB"
        )
    print(
        f"runs per scenario: {args.repeat} ((e): {max(args.repeat, E_REPEAT)}, baseline: 1);"
        f" peak RSS target <= {MAX_RSS_MB} MB"
    )


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "_child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
