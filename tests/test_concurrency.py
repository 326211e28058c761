"""One writer at a time: simultaneous runs wait their turn and leave a correct warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ntm.cli import app
from ntm.settings import Settings
from tests.workbooks import Book
from transforms.intake.lock import WarehouseBusy, writer_lock

RUN = (
    "import sys, pathlib; from ntm.settings import Settings; "
    "from transforms.pipeline import run_once; "
    "run_once(Settings(home=pathlib.Path(sys.argv[1]), settle_seconds=0), sys.argv[2])"
)


@pytest.mark.slow
def test_simultaneous_runs_take_turns_and_record_every_file_once(tmp_path: Path):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    for district in ("119", "118", "120"):
        Book(district=district).write(settings.inbox / f"{district}.xlsx")
        os.utime(settings.inbox / f"{district}.xlsx", (time.time() - 60,) * 2)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, str(settings.home), f"run-{i}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    with duckdb.connect(str(settings.published), read_only=True) as con:
        files = con.execute(
            "select file_name, status from ops.submissions order by file_name"
        ).fetchall()
        assessed = con.execute(
            "select count(distinct district_code) from marts.commune_assessment"
            " where status <> 'not_reported'"
        ).fetchall()
    assert files == [("118.xlsx", "accepted"), ("119.xlsx", "accepted"), ("120.xlsx", "accepted")]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        runs = con.execute("select count(*) from ops.runs").fetchall()
    assert runs == [(3,)]  # every run logged (runs that found nothing do not republish)
    assert assessed == [(3,)]


def test_a_run_that_cannot_get_the_lock_in_time_says_so(tmp_path: Path):
    lock = tmp_path / "lock"
    with (
        writer_lock(lock, timeout=1),
        pytest.raises(WarehouseBusy, match="another run is writing"),
        writer_lock(lock, timeout=0.3),
    ):
        pass


def test_the_command_line_exits_with_a_message_when_the_warehouse_is_busy(tmp_path, monkeypatch):
    home = tmp_path / "home"
    settings = Settings(home=home).ensure()
    monkeypatch.setenv("NTM_LOCK_TIMEOUT_SECONDS", "0.3")
    with writer_lock(settings.lock_file, timeout=1):
        result = CliRunner().invoke(app, ["withdraw", "1", "--home", str(home)])
    assert result.exit_code == 3
    assert "another run is writing" in result.output
    assert "Traceback" not in result.output
