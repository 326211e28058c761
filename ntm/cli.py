"""The `ntm` command line. Thin: validate/template call transforms directly (no orchestrator
import, so they answer fast); run/backfill/demo start the Prefect flows."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ntm.settings import Settings
from transforms.collector import collect_less_often

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
err = Console(stderr=True)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Data directory (default: $NTM_HOME or ./data).")
]


class Runner(StrEnum):
    local = "local"
    dask = "dask"


RunnerOption = Annotated[
    Runner | None,
    typer.Option(
        "--runner",
        help="Where files are read and validated: local (a process pool here) or dask "
        "(Dask workers; default: $NTM_TASK_RUNNER or local).",
    ),
]
DaskAddressOption = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="A running Dask scheduler, e.g. tcp://host:8786 (implies --runner dask; "
        "default: $NTM_DASK_ADDRESS, else a local cluster per run).",
    ),
]
DaskWorkersOption = Annotated[
    int | None,
    typer.Option(
        "--dask-workers", min=1, help="Worker processes of the local Dask cluster (default 2)."
    ),
]


def _choose_runner(runner: Runner | None, address: str | None, workers: int | None) -> None:
    """Hand the runner options to the flow through the environment its settings are read from."""
    if runner is None and (address or workers):
        runner = Runner.dask
    chosen = {
        "NTM_TASK_RUNNER": runner.value if runner else None,
        "NTM_DASK_ADDRESS": address,
        "NTM_DASK_WORKERS": str(workers) if workers else None,
    }
    for key, value in chosen.items():
        if value is not None:
            os.environ[key] = value


# How long a run by hand waits for the temporary Prefect server it starts when no
# PREFECT_API_URL is set. Prefect's default, 20 s, is too short for a first start on a busy
# 2-core machine (it creates its database): `make demo` on a fresh clone failed there.
EPHEMERAL_SERVER_STARTUP_SECONDS = "180"


def _prefect_defaults() -> None:
    """Keep the orchestrator's server chatter and telemetry away from a person's terminal,
    and give a temporary server time to start; settings in the environment are kept."""
    for key, value in {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "ERROR",
        "PREFECT_LOGGING_LOG_PRINTS": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": EPHEMERAL_SERVER_STARTUP_SECONDS,
    }.items():
        os.environ.setdefault(key, value)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Workbooks to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the issues as JSON.")] = False,
) -> None:
    """Check district workbooks against the contract; exit 2 unreadable, 1 errors, 0 clean.

    Each file is read in a worker process with a memory and a time limit (as the
    nightly run reads them): a file that crashes or exhausts its reader is reported
    unreadable, and every other file still gets its answer.
    """
    from transforms.validation.validate import checked_anyway, validate_files

    missing = [f for f in files if not f.is_file()]
    for f in missing:
        err.print(f"[red]{f}: no such file[/red]")
    present = [f for f in files if f.is_file()]
    try:
        results = validate_files(present)
    except Exception as exc:  # never a traceback instead of an answer
        err.print(f"[red]checking stopped ({type(exc).__name__}); every file reported unread[/red]")
        results = checked_anyway(present)
    issues = [i.as_dict() for r in results for i in r.issues]
    if as_json:
        text = json.dumps(issues, ensure_ascii=False, indent=2, default=str) + "\n"
        # a file name that is not valid UTF-8 must not cut the answer short
        out = getattr(sys.stdout, "buffer", None)
        if out is not None:
            sys.stdout.flush()
            out.write(text.encode("utf-8", "backslashreplace"))
            out.flush()
        else:
            sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    else:
        _print_issues(results)
    if missing or any(not r.readable for r in results):
        raise typer.Exit(2)
    if any(r.errors for r in results):
        raise typer.Exit(1)


def _print_issues(results: list[Any]) -> None:
    for r in results:
        verdict = "[green]accepted[/green]" if r.accepted else "[red]rejected[/red]"
        against = f" against registry {r.registry_version}" if r.registry_version else ""
        console.print(
            f"[bold]{r.file}[/bold]: {verdict}{against}, {len(r.errors)} error(s), "
            f"{len(r.warnings)} warning(s)"
        )
        if not r.issues:
            continue
        table = Table(show_lines=False)
        for col in ("severity", "sheet", "row", "column", "value", "rule", "message"):
            table.add_column(col, overflow="fold")
        for i in r.issues:
            style = "red" if i.severity == "error" else "yellow"
            table.add_row(
                f"[{style}]{i.severity}[/{style}]",
                i.sheet or "",
                str(i.row or ""),
                i.column or "",
                i.value or "",
                i.rule,
                i.message,
            )
        console.print(table)


@app.command()
def template(
    district: Annotated[str, typer.Option("--district", help="3-digit district code.")],
    year: Annotated[int, typer.Option("--year", help="Reporting year.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Workbook to write (.xlsx).")],
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="Registry version whose communes to list (default: the year's version, "
            "or the latest one of the year in which the district exists).",
        ),
    ] = None,
) -> None:
    """Write the blank workbook a district fills in for a year."""
    from transforms.workbook.names import pad_code
    from transforms.workbook.template import write_template

    code = pad_code(district, 3)
    try:
        if code is None:
            raise ValueError(f"'{district}' is not a district code")
        from transforms.workbook.template import template_version

        version = template_version(code, year, registry)
        path = write_template(code, year, output, version)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Template for district {code}, {year} (registry {version}): {path}")


def _add_columns(table: Table, headers: Sequence[str]) -> None:
    """Add the province table's columns: names to the left, figures to the right, unwrapped."""
    for i, header in enumerate(headers):
        table.add_column(header, no_wrap=True, justify="left" if i == 0 else "right")


def _print_run(settings: Settings, counts: dict[str, Any]) -> None:
    from transforms.reports.province_table import province_rows_terminal

    console.print(
        f"Run {counts['run_id']}: {counts['files_seen']} file(s), {counts['accepted']} accepted, "
        f"{counts['rejected']} rejected, {counts['duplicates']} duplicate(s)."
    )
    left = counts.get("left_in_inbox") or []
    if left:
        console.print(f"Left in the inbox: {len(left)} file(s)")
        for f in left:
            console.print(f"  {f['file']}: {f['why']}", markup=False)
    import duckdb

    if not settings.published.exists():
        return
    with duckdb.connect(str(settings.published), read_only=True) as con:
        years = [
            r[0]
            for r in con.execute(
                "select distinct year from marts.province_summary order by year"
            ).fetchall()
        ]
        for year in years[-1:]:
            headers, rows = province_rows_terminal(con, year)
            table = Table(
                title=f"Target 19.2 by province, {year}",
                caption="Districts reported/expected; Meeting: communes meeting 19.2/expected;"
                " Needed: more communes for the 99% target; -5%: districts cutting crime"
                " 5% against 2019",
            )
            _add_columns(table, headers)
            for row in rows:
                table.add_row(*row)
            console.print(table)
    console.print(f"Warehouse: {settings.warehouse}")
    console.print(f"Snapshot for BI tools (read-only): {settings.published}")
    written = counts.get("reports_written") or []
    if written:
        shown = ", ".join(written[:6]) + (
            f" and {len(written) - 6} more" if len(written) > 6 else ""
        )
        console.print(f"Province reports written (province/year): {shown}")
    if settings.reports.is_dir() and any(settings.reports.iterdir()):
        console.print(f"Reports: {settings.reports}")


@contextlib.contextmanager
def _busy_means_exit() -> Iterator[None]:
    """Turn "another run holds the writer lock" into a message and exit code 3."""
    from transforms.intake.lock import WarehouseBusy

    try:
        yield
    except WarehouseBusy as exc:
        err.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(3) from None


STAGE_LABELS = {
    "inbox": "Taking the inbox",
    "reading": "Reading and checking files",
    "recording": "Recording, recomputing the marts",
    "recomputing": "Recomputing the marts",
    "publishing": "Publishing the snapshot",
    "feedback": "Writing feedback workbooks",
    "reports": "Writing province reports",
}


@contextlib.contextmanager
def _showing_progress() -> Iterator[None]:
    """Show the run's stages as they go: bars on a terminal, a line per stage otherwise."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from transforms import progress

    if not console.is_terminal:

        def plain(event: progress.Event) -> None:
            if event.total is not None and event.done == event.total:
                label = STAGE_LABELS.get(event.stage, event.stage)
                console.print(f"{label}: {event.done} of {event.total} done")

        with progress.listening(plain):
            yield
        return
    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bars:
        shown: dict[str, Any] = {}

        def show(event: progress.Event) -> None:
            if event.stage not in shown:
                label = STAGE_LABELS.get(event.stage, event.stage)
                shown[event.stage] = bars.add_task(label, total=event.total)
            bars.update(shown[event.stage], completed=event.done, total=event.total)

        with progress.listening(show):
            yield


def _where(settings: Settings) -> str:
    if settings.task_runner == "local":
        return "on this machine"
    if settings.dask_address:
        return f"on the Dask cluster at {settings.dask_address}"
    return f"on a local Dask cluster of {settings.dask_workers} workers"


def start_readers(settings: Settings, folder: Path | None = None) -> None:
    """Start the readers' forkserver when the folder the run reads (the inbox, or the
    archive for a reparse) holds files and the run reads them on this machine, before
    Prefect is imported (two seconds): a run's first batch would otherwise wait for it."""
    if not settings.reads_here:
        return
    from transforms.intake.inbox import inbox_entries
    from transforms.validation.validate import prepare_readers

    # a flow runs threads; for the archive (one folder per hash prefix) the count only
    # tells whether there is anything to read
    prepare_readers(inbox_entries(folder or settings.inbox), threads=True)


def _start(flow_name: str, **kwargs: Any) -> dict[str, Any]:
    settings = Settings.from_env(kwargs.get("home"))
    if flow_name == "nightly":
        start_readers(settings)
    elif flow_name == "backfill" and kwargs.get("reparse"):
        start_readers(settings, settings.archive)
    _prefect_defaults()
    from flows import nightly as flows

    with _busy_means_exit():
        result: dict[str, Any] = flows.run_by_hand(getattr(flows, flow_name), **kwargs)
    return result


@app.command()
def run(
    home: HomeOption = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    dask_workers: DaskWorkersOption = None,
) -> None:
    """Process the inbox now (what the nightly schedule runs)."""
    _choose_runner(runner, dask_address, dask_workers)
    settings = Settings.from_env(home)
    console.print(f"Processing {settings.inbox} ({_where(settings)})")
    with _showing_progress():
        counts = _start("nightly", home=str(settings.home))
    _print_run(settings, counts)


@app.command()
def backfill(
    from_year: Annotated[int, typer.Option("--from", help="First year to recompute.")],
    to_year: Annotated[int, typer.Option("--to", help="Last year to recompute.")],
    district: Annotated[
        list[str] | None, typer.Option("--district", help="Only re-read these districts' files.")
    ] = None,
    reparse: Annotated[
        bool, typer.Option("--reparse", help="Read the archived files again first.")
    ] = False,
    home: HomeOption = None,
    runner: RunnerOption = None,
    dask_address: DaskAddressOption = None,
    dask_workers: DaskWorkersOption = None,
) -> None:
    """Recompute the marts for past years; --reparse reads the archived files again first."""
    from transforms.workbook.names import pad_code

    _choose_runner(runner, dask_address, dask_workers)
    settings = Settings.from_env(home)
    districts = [pad_code(d, 3) or d for d in district] if district else None
    console.print(f"Recomputing {from_year}-{to_year} ({_where(settings)})")
    with _showing_progress():
        counts = _start(
            "backfill",
            from_year=from_year,
            to_year=to_year,
            districts=districts,
            reparse=reparse,
            home=str(settings.home),
        )
    _print_run(settings, counts)


@app.command()
def demo(home: HomeOption = None) -> None:
    """Generate the demo workbooks into the inbox, run the nightly flow, print the summary."""
    from rich.progress import Progress

    from transforms.demo.generate import demo_district_codes, plan_files, write_plan

    settings = Settings.from_env(home).ensure()
    plans = plan_files(demo_district_codes())
    with Progress(console=console, disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(
            "Writing demo workbooks (Vĩnh Phúc, Sơn La, Thanh Hóa, Ninh Thuận)", total=len(plans)
        )
        files = []
        for plan in plans:
            files.append(write_plan(plan, settings.inbox))
            bar.advance(task)
    console.print(f"{len(files)} demo workbooks written to {settings.inbox}")
    console.print("Running the nightly flow (a local Prefect server starts first, 15-25 s)")
    with _showing_progress():
        counts = _start("nightly", home=str(settings.home))
    _print_run(settings, counts)


@contextlib.contextmanager
def _snapshot(settings: Settings) -> Iterator[Any]:
    """Open the published snapshot read-only, or exit 2 saying there is none yet."""
    import duckdb

    if not settings.published.exists():
        err.print(f"[red]No snapshot at {settings.published}: run `ntm run` first.[/red]")
        raise typer.Exit(2)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        yield con


@app.command()
def report(
    year: Annotated[int, typer.Option("--year", help="Reporting year.")],
    province: Annotated[str | None, typer.Option("--province", help="2-digit code.")] = None,
    home: HomeOption = None,
) -> None:
    """Write the province reports (Excel and HTML) of a year from the published snapshot."""
    from transforms.reports import province_years, write_reports
    from transforms.workbook.names import pad_code

    settings = Settings.from_env(home)
    code = pad_code(province, 2) if province else None
    with _snapshot(settings) as con:
        pairs = [(code, year)] if code else province_years(con, [year])
        written = write_reports(con, settings.reports, pairs)
    for path in written:
        console.print(str(path))


@app.command()
def submissions(
    district: Annotated[str, typer.Option("--district", help="3-digit district code.")],
    year: Annotated[int | None, typer.Option("--year")] = None,
    home: HomeOption = None,
) -> None:
    """List what was received for a district (and year), with statuses, from the snapshot."""
    from transforms.workbook.names import pad_code

    settings = Settings.from_env(home)
    with _snapshot(settings) as con:
        frame = con.execute(
            "select submission_id, file_name, year, received_at, status, error_count,"
            " warning_count from ops.submissions where district_code = ?"
            " and (? is null or year = ?) order by year, submission_id",
            [pad_code(district, 3), year, year],
        ).df()
    table = Table(title=f"Submissions of district {pad_code(district, 3)}")
    for col in frame.columns:
        table.add_column(col)
    for rec in frame.astype(str).itertuples(index=False):
        table.add_row(*rec)
    console.print(table)


@app.command()
def withdraw(
    submission_id: Annotated[int, typer.Argument(help="The submission to take back.")],
    note: Annotated[str, typer.Option("--note", help="Why it is withdrawn.")] = "withdrawn",
    home: HomeOption = None,
) -> None:
    """Take back a wrongly accepted submission; the one before it is in force again."""
    from transforms import pipeline

    settings = Settings.from_env(home)
    with _busy_means_exit(), pipeline.writing(settings) as con:
        try:
            old, in_force = pipeline.withdraw(con, submission_id, note)
        except (LookupError, ValueError) as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        pipeline.publish(con, settings)
    now = f"submission {in_force} is in force" if in_force else "no submission is in force"
    console.print(f"Submission {submission_id} ({old}) withdrawn; {now}.")


# Commands that run flows: they work in a child under a watchdog (ntm/supervise.py), so
# that killed at any moment, they leave no process behind (the temporary Prefect server
# included).
_SUPERVISED_COMMANDS = ("run", "backfill", "demo")


def main() -> None:
    """Entry point of the `ntm` command."""
    collect_less_often()  # see transforms/collector.py: a tenth of `ntm validate`'s answer
    command = sys.argv[1:2]
    if command and command[0] in _SUPERVISED_COMMANDS and "--help" not in sys.argv:
        from ntm.supervise import SUPERVISED, supervise

        if not os.environ.get(SUPERVISED):
            sys.exit(supervise(sys.argv[1:]))
    if command != ["validate"]:
        from transforms.validation.extras import set_up_pipeline_process

        set_up_pipeline_process()
        app()
        return
    # `ntm validate` should answer in well under a second; importing dask and
    # hypothesis through pandera costs half a second. Only this process is affected.
    from transforms.validation.extras import skip_pandera_extras

    skip_pandera_extras()
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException as exc:  # an answer and a status from 0-2, never a traceback
        print(f"ntm validate stopped: {type(exc).__name__}", file=sys.stderr)
        code = 2
    # The command writes nothing but its output: skip the interpreter's teardown of
    # pandas, pandera and pydantic, a quarter of a second on a 2-core machine.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_status(code: object) -> int:
    """Return the process status sys.exit(code) would give."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    main()
