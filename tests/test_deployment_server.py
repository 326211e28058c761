"""The deployment path for real: a Prefect server on loopback, prefect.yaml, a process worker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.local_server import PREFECT, local_server
from tests.workbooks import Book

REPO = Path(__file__).resolve().parents[1]


def prefect(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_nightly_deployment_from_prefect_yaml_runs_on_a_worker(tmp_path: Path):
    home = tmp_path / "ntm"
    with local_server(tmp_path / "prefect", tmp_path / "server.log") as server_env:
        env = {
            **server_env,
            "NTM_HOME": str(home),
            "NTM_PROJECT_DIR": str(REPO),
            "NTM_SETTLE_SECONDS": "0",
        }
        prefect("work-pool", "create", "ntm", "--type", "process", env=env)
        prefect("--no-prompt", "deploy", "--all", env=env)
        dask_variant = prefect("deployment", "inspect", "nightly/nightly-dask", env=env)
        assert "'NTM_TASK_RUNNER': 'dask'" in dask_variant
        (home / "inbox").mkdir(parents=True)
        Book().write(home / "inbox" / "thuan-chau-2023.xlsx")
        prefect("deployment", "run", "nightly/nightly", env=env)
        prefect("worker", "start", "--pool", "ntm", "--run-once", env=env, timeout=300)
    with duckdb.connect(str(home / "published" / "ntm.duckdb"), read_only=True) as con:
        assessed = con.execute(
            "select count(*) from marts.commune_assessment where district_code = '119'"
            " and year = 2023 and status <> 'not_reported'"
        ).fetchall()
        runs = con.execute("select flow, status from ops.runs").fetchall()
    assert assessed == [(29,)]
    assert runs == [("nightly", "completed")]
