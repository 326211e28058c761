"""The Prefect flow end to end (one shared temporary server) and the command line."""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest
from typer.testing import CliRunner

from ntm.cli import app
from tests.workbooks import Book
from transforms.collector import THRESHOLDS

runner = CliRunner()


def test_nightly_flow_loads_the_inbox_and_publishes(prefect_server, tmp_path, monkeypatch):
    from flows.nightly import nightly

    monkeypatch.setenv("NTM_SETTLE_SECONDS", "0")
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    Book().write(home / "inbox" / "thuan-chau.xlsx")
    bad = Book()
    bad.rows[0]["fires"] = -1
    bad.write(home / "inbox" / "bad.xlsx")
    counts = nightly(home=str(home))
    assert counts["files_seen"] == 2 and counts["accepted"] == 1 and counts["rejected"] == 1
    with duckdb.connect(str(home / "published" / "ntm.duckdb"), read_only=True) as con:
        statuses = con.execute(
            "select status, count(*) from marts.commune_assessment"
            " where district_code = '119' group by all"
        ).fetchall()
        flow = con.execute("select flow from ops.runs").fetchall()
    assert sum(n for _, n in statuses) == 29
    assert flow == [("nightly",)]
    assert list((home / "inbox").iterdir()) == []

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        # the session's server holds other tests' runs too: only this run's artifacts
        artifacts = {
            a.key: a
            for a in client.read_artifacts()
            if a.key and str(a.flow_run_id) == counts["run_id"]
        }
    table = artifacts["submissions"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert sorted((r["file_name"], r["status"]) for r in rows) == [
        ("bad.xlsx", "rejected"),
        ("thuan-chau.xlsx", "accepted"),
    ]
    assert "Target 19.2 by province" in artifacts["province-results"].data


def test_validate_command_exits_zero_for_a_clean_file(tmp_path):
    path = Book().write(tmp_path / "ok.xlsx")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output


def test_validate_command_prints_json_issues_and_exits_one_on_errors(tmp_path):
    book = Book()
    book.rows[0]["fires"] = "ba"
    path = book.write(tmp_path / "bad.xlsx")
    result = runner.invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert issues[0]["rule"] == "count_not_number"
    assert issues[0]["cell"] == "O4"
    assert set(issues[0]) == {
        "cell",
        "file",
        "severity",
        "sheet",
        "row",
        "column",
        "value",
        "rule",
        "message",
        "message_vi",
    }


def test_validate_command_exits_two_for_an_unreadable_file(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("nope")
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 2


def test_template_command_writes_a_workbook_that_validates_clean(tmp_path):
    out = tmp_path / "tpl.xlsx"
    result = runner.invoke(app, ["template", "--district", "119", "--year", "2024", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_template_command_refuses_an_unknown_district(tmp_path):
    result = runner.invoke(
        app, ["template", "--district", "999", "--year", "2024", "-o", str(tmp_path / "t.xlsx")]
    )
    assert result.exit_code == 2


def test_validate_needs_neither_prefect_nor_the_warehouse(tmp_path):
    import subprocess
    import sys

    path = Book().write(tmp_path / "ok.xlsx")
    code = (
        "import sys; from ntm.cli import app; "
        f"sys.argv=['ntm','validate',{str(path)!r}]; "
        "import typer\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "assert 'prefect' not in sys.modules, 'prefect imported'\n"
        "assert 'duckdb' not in sys.modules, 'duckdb imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_withdraw_and_submissions_commands_show_the_ledger(tmp_path, monkeypatch):
    from ntm.settings import Settings
    from transforms import pipeline

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book().write(settings.inbox / "first.xlsx")
    os.utime(settings.inbox / "first.xlsx", (1700000000, 1700000000))
    second = Book()
    second.rows.pop()
    second.write(settings.inbox / "second.xlsx")
    os.utime(settings.inbox / "second.xlsx", (1700000100, 1700000100))
    pipeline.run_once(settings, "run-1")

    home = ["--home", str(settings.home)]
    result = runner.invoke(app, ["withdraw", "2", "--note", "wrong year", *home])
    assert result.exit_code == 0, result.output
    assert "submission 1 is in force" in result.output
    listing = runner.invoke(app, ["submissions", "--district", "119", *home])
    assert listing.exit_code == 0, listing.output
    assert "withdrawn" in listing.output and "accepted" in listing.output
    again = runner.invoke(app, ["withdraw", "2", *home])
    assert again.exit_code == 1 and "withdrawn" in again.output


def test_report_command_writes_the_province_reports_from_the_snapshot(tmp_path):
    from ntm.settings import Settings
    from transforms import pipeline

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    Book().write(settings.inbox / "a.xlsx")
    os.utime(settings.inbox / "a.xlsx", (1700000000, 1700000000))
    pipeline.run_once(settings, "run-1")
    # the run wrote the reports of the years it touched that have a submission in force:
    # 2023, not 2024 (compared with 2023, but nobody has submitted it)
    touched = sorted(p.name for p in settings.reports.rglob("*.xlsx"))
    assert touched == ["bao-cao-19-2_14_2023.xlsx"]
    shutil.rmtree(settings.reports)
    result = runner.invoke(app, ["report", "--year", "2023", "--home", str(settings.home)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in settings.reports.rglob("*.*"))
    assert written == ["bao-cao-19-2_14_2023.html", "bao-cao-19-2_14_2023.xlsx"]


def test_backfill_flow_rereads_the_archive_and_rebuilds(prefect_server, tmp_path, monkeypatch):
    from flows.nightly import backfill, nightly

    monkeypatch.setenv("NTM_SETTLE_SECONDS", "0")
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    Book().write(home / "inbox" / "a.xlsx")
    nightly(home=str(home))
    counts = backfill(2023, 2023, districts=["119"], reparse=True, home=str(home))
    assert counts["districts_changed"] == 1
    assert counts["years_recomputed"] == [2023]
    with duckdb.connect(str(home / "published" / "ntm.duckdb"), read_only=True) as con:
        runs = con.execute("select flow from ops.runs order by started_at").fetchall()
        status = con.execute("select status from ops.submissions").fetchall()
    assert runs == [("nightly",), ("backfill",)]
    assert status == [("accepted",)]


def test_a_run_by_hand_creates_its_flow_run_first_and_never_imports_fastapi(
    prefect_server, tmp_path
):
    import subprocess
    import sys

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    Book().write(home / "inbox" / "a.xlsx")
    # as `ntm backfill` calls it, in a process of its own (its imports are its own)
    script = (
        "import json, sys\n"
        "from prefect import tags\n"
        "from flows.nightly import backfill, nightly, run_by_hand\n"
        "loaded = 'fastapi' in sys.modules\n"
        f"first = run_by_hand(nightly, home={str(home)!r})\n"
        "with tags('by-hand-test'):\n"
        f"    counts = run_by_hand(backfill, from_year=2023, to_year=2023, home={str(home)!r})\n"
        "print(json.dumps([first, counts, loaded, 'fastapi' in sys.modules]))\n"
    )
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "NTM_SETTLE_SECONDS": "0"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    first, counts, before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert first["accepted"] == 1 and counts["years_recomputed"] == [2023]
    assert (before, after) == (False, False)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(counts["run_id"])
        nightly_run = client.read_flow_run(first["run_id"])
    # the runs show what a call shows: every parameter, defaults included, and the tags
    assert run.state is not None and run.state.is_completed()
    assert run.parameters == {
        "from_year": 2023,
        "to_year": 2023,
        "districts": None,
        "reparse": False,
        "home": str(home),
    }
    assert "by-hand-test" in run.tags
    assert nightly_run.parameters == {"home": str(home)}


def test_runs_by_hand_send_no_heartbeats_unless_the_environment_asks(monkeypatch):
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings

    from flows.nightly import by_hand

    monkeypatch.delenv(PREFECT_FLOWS_HEARTBEAT_FREQUENCY.name, raising=False)
    default = get_current_settings().flows.heartbeat_frequency
    assert default is not None  # Prefect's default: a heartbeat every few minutes
    api = get_current_settings().api.url
    with by_hand():
        assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().api.url == api  # every other setting as it was
    assert get_current_settings().flows.heartbeat_frequency == default
    monkeypatch.setenv(PREFECT_FLOWS_HEARTBEAT_FREQUENCY.name, "45")
    with by_hand():  # asked for in the environment: kept
        assert get_current_settings().flows.heartbeat_frequency == default


def test_a_pipeline_process_checks_rows_without_pandera_extras_but_dask(tmp_path):
    import subprocess
    import sys

    path = Book().write(tmp_path / "ok.xlsx")
    script = (
        "import sys\n"
        "from transforms.validation.extras import set_up_pipeline_process\n"
        "set_up_pipeline_process()\n"
        "from transforms.validation.validate import validate_batch\n"
        f"result = validate_batch([__import__('pathlib').Path({str(path)!r})]).results[0]\n"
        "import dask\n"
        "print(result.accepted, sys.modules.get('hypothesis') is None, dask.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # the batch was checked (pandera ran), hypothesis never loaded, the Dask runner's dask did
    assert done.stdout.split() == ["True", "True", "dask"]


@pytest.mark.parametrize("started_by_a_worker", [True, False])
def test_a_flow_run_a_worker_starts_gets_the_pipeline_process_and_others_keep_theirs(
    tmp_path, started_by_a_worker
):
    import subprocess
    import sys

    from flows.flow_run_process import FLOW_RUN_ID_VARIABLE

    # what `python -m prefect.engine` does first in a deployed run: import the flow module
    script = (
        "import gc, sys\n"
        "import flows.nightly\n"
        "import pandera.pandas\n"
        "print(gc.get_threshold()[0], 'hypothesis' in sys.modules"
        " and sys.modules['hypothesis'] is None)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != FLOW_RUN_ID_VARIABLE}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    if started_by_a_worker:
        env[FLOW_RUN_ID_VARIABLE] = "0b7c3f0e-5c1d-4a59-9a3e-2f1f1d9b8a11"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    threshold, hypothesis_kept_out = done.stdout.split()
    if started_by_a_worker:
        assert (int(threshold), hypothesis_kept_out) == (THRESHOLDS[0], "True")
    else:  # a test session or a notebook importing the flows keeps its own set-up
        assert (int(threshold), hypothesis_kept_out) == (700, "False")


def test_the_installed_ntm_command_validates_with_pandera_extras_kept_out(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    ntm = str(Path(sys.executable).with_name("ntm"))
    good = Book().write(tmp_path / "ok.xlsx")
    bad_book = Book()
    bad_book.rows[0]["fires"] = -1
    bad = bad_book.write(tmp_path / "bad.xlsx")
    ok = subprocess.run([ntm, "validate", str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "accepted" in ok.stdout
    failed = subprocess.run(
        [ntm, "validate", "--json", str(bad)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)[0]["rule"] == "count_negative"
    missing = subprocess.run(
        [ntm, "validate", str(tmp_path / "nowhere.xlsx"), str(good)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "no such file" in " ".join(missing.stderr.split()) and "accepted" in missing.stdout
    usage = subprocess.run([ntm, "validate"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr


def test_setup_byte_compiles_every_module_of_the_project():
    import importlib.util
    from pathlib import Path

    from bench.bytecode import ROOT, compile_project, packages

    assert {"ntm", "transforms", "schemas", "flows"} <= set(packages())
    assert compile_project()
    modules = [p for name in packages() for p in (ROOT / name).rglob("*.py")]
    stale = [
        p
        for p in modules
        if not Path(importlib.util.cache_from_source(str(p))).is_file()
        or Path(importlib.util.cache_from_source(str(p))).stat().st_mtime < p.stat().st_mtime
    ]
    assert modules and not stale


def test_runs_by_hand_give_a_temporary_prefect_server_time_to_start(monkeypatch):
    from prefect.settings import Settings as PrefectSettings

    from ntm import cli

    variable = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    monkeypatch.delenv(variable, raising=False)
    before = set(os.environ)
    assert PrefectSettings().server.ephemeral.startup_timeout_seconds == 20  # Prefect's
    cli._prefect_defaults()
    for key in set(os.environ) - before:  # what it set goes again after the test
        monkeypatch.setenv(key, os.environ[key])
    # read by Prefect's own settings: the name is the one Prefect knows
    assert PrefectSettings().server.ephemeral.startup_timeout_seconds == int(
        cli.EPHEMERAL_SERVER_STARTUP_SECONDS
    )
    monkeypatch.setenv(variable, "45")
    cli._prefect_defaults()  # a value in the environment is kept
    assert PrefectSettings().server.ephemeral.startup_timeout_seconds == 45
