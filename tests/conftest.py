"""Test session setup: Prefect state in a temporary folder, telemetry off, offline."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# Before anything imports prefect: never touch ~/.prefect, never phone home. A folder
# made here is removed when the session ends (CI and `make test` give their own).
if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="ntm-prefect-")
    atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "ERROR")


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server for every flow test of the session (it is slow to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def readers_see_patches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork the reader workers from this process, so that what a test patches in the reader
    reaches them (a forkserver started earlier in the session has the unpatched code)."""
    monkeypatch.setenv("NTM_READ_START_METHOD", "fork")
