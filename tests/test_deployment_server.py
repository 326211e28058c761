"""The deployment path for real: a Prefect server on loopback, prefect.yaml, a process worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.workbooks import Book

REPO = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("prefect server exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("prefect server did not become healthy")


def prefect(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_nightly_deployment_from_prefect_yaml_runs_on_a_worker(tmp_path: Path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "ntm"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "NTM_HOME": str(home),
        "NTM_PROJECT_DIR": str(REPO),
        "NTM_SETTLE_SECONDS": "0",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(api, server)
        prefect("work-pool", "create", "ntm", "--type", "process", env=env)
        prefect("--no-prompt", "deploy", "--all", env=env)
        (home / "inbox").mkdir(parents=True)
        Book().write(home / "inbox" / "thuan-chau-2023.xlsx")
        prefect("deployment", "run", "nightly/nightly", env=env)
        prefect("worker", "start", "--pool", "ntm", "--run-once", env=env, timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    with duckdb.connect(str(home / "published" / "ntm.duckdb"), read_only=True) as con:
        assessed = con.execute(
            "select count(*) from marts.commune_assessment where district_code = '119'"
            " and year = 2023 and status <> 'not_reported'"
        ).fetchall()
        runs = con.execute("select flow, status from ops.runs").fetchall()
    assert assessed == [(29,)]
    assert runs == [("nightly", "completed")]
