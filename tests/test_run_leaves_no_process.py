"""A run killed at any moment leaves no process of its own behind: `ntm run` without a
Prefect API starts a temporary server, a forkserver and readers; SIGKILL it (or the
process doing its work) and every one of them ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ntm.supervise import descendants
from tests.workbooks import Book

pytestmark = pytest.mark.slow
NTM = str(Path(sys.executable).with_name("ntm"))


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Prefect home for the module: its database is migrated once."""
    return tmp_path_factory.mktemp("prefect-home")


def _start(home: Path, prefect_home: Path) -> subprocess.Popen[bytes]:
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    for district in ("116", "118", "119"):
        Book(district=district).write(inbox / f"{district}.xlsx")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "NTM_SUPERVISED"))
    }
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        NTM_SETTLE_SECONDS="0",
    )
    return subprocess.Popen(
        [NTM, "run", "--home", str(home)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _watch_until(run: subprocess.Popen[bytes], wanted: str, timeout: float) -> set[int]:
    """Return every process seen below the run, once one whose command holds `wanted` runs."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        below = descendants(run.pid)
        seen.update(below)
        if any(wanted in _cmdline(pid) for pid in below):
            return seen
        assert run.poll() is None, "the run ended before it was killed"
        time.sleep(0.1)
    raise AssertionError(f"no {wanted} process within {timeout} s: {seen}")


def _none_left(seen: set[int], timeout: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in seen if _alive(pid)]
        if not left:
            return []
        time.sleep(0.2)
    return [pid for pid in seen if _alive(pid)]


def _kill_all(pids: set[int]) -> None:
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("moment", ["starting", "server up"])
def test_a_sigkilled_run_leaves_no_process_behind(moment, tmp_path, prefect_home):
    run = _start(tmp_path / "home", prefect_home)
    seen: set[int] = set()
    try:
        # "starting": the worker process is up, the flow is importing Prefect
        seen = _watch_until(run, "uvicorn" if moment == "server up" else "ntm.cli", 120)
        time.sleep(0.3)
        seen.update(descendants(run.pid))
        run.kill()
        run.wait()
        left = _none_left(seen)
        assert not left, [(pid, _cmdline(pid)) for pid in left]
    finally:
        run.kill()
        _kill_all(seen)


@pytest.mark.parametrize("victim", ["-m ntm.cli run", "-m ntm.supervise"])
def test_killing_the_worker_or_the_watchdog_leaves_nothing_and_fails_the_command(
    victim, tmp_path, prefect_home
):
    run = _start(tmp_path / "home", prefect_home)
    seen: set[int] = set()
    try:
        seen = _watch_until(run, "uvicorn", 120)
        # the watchdog's command line holds the worker's: match from its start
        (target,) = [pid for pid in seen if _cmdline(pid).split(" ", 1)[-1].startswith(victim)]
        os.kill(target, signal.SIGKILL)
        assert run.wait(timeout=60) == 128 + signal.SIGKILL
        left = _none_left(seen)
        assert not left, [(pid, _cmdline(pid)) for pid in left]
    finally:
        run.kill()
        _kill_all(seen)
