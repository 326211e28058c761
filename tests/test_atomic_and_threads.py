"""Flushing to disk and the steps that run beside a run's main thread."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb
import pytest

from ntm.settings import Settings
from transforms import atomic, pipeline
from transforms.threads import map_in_threads


def test_a_folder_the_file_system_cannot_flush_is_passed_over_but_a_file_is_not(
    tmp_path, monkeypatch
):
    def refuse(fd: int) -> None:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "fsync", refuse)
    atomic.flush([tmp_path])  # a network mount that flushes no folder: nothing more to do
    file = tmp_path / "a.bin"
    file.write_bytes(b"x")
    with pytest.raises(OSError):
        atomic.flush([file])


def test_calls_in_threads_come_back_in_order():
    assert map_in_threads(lambda n: n * n, range(40), 4) == [n * n for n in range(40)]


def test_a_failing_block_is_told_before_a_failing_publish_and_the_run_waits_for_both(
    tmp_path, monkeypatch
):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    waited: list[str] = []

    def failing_publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
        waited.append("publish")
        raise RuntimeError("the snapshot's disk is full")

    monkeypatch.setattr(pipeline, "publish", failing_publish)
    con = duckdb.connect()
    with (
        pytest.raises(ValueError, match="a report failed"),
        pipeline.publishing_beside(con, settings, pipeline.PLAIN),
    ):
        raise ValueError("a report failed")
    assert waited == ["publish"]
    # on its own, the publishing's failure is the run's
    with (
        pytest.raises(RuntimeError, match="disk is full"),
        pipeline.publishing_beside(con, settings, pipeline.PLAIN),
    ):
        pass


def test_a_failing_inbox_step_is_told_even_when_the_warehouse_cannot_open(tmp_path, monkeypatch):
    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()

    def broken(path: Path) -> duckdb.DuckDBPyConnection:
        raise RuntimeError("the warehouse file is damaged")

    monkeypatch.setattr(pipeline, "connect", broken)
    with (
        pytest.raises(OSError, match="the inbox share went away"),
        pipeline.opening_for_writing(settings),
    ):
        raise OSError("the inbox share went away")
    with (
        pytest.raises(RuntimeError, match="damaged"),
        pipeline.opening_for_writing(settings) as opening,
    ):
        opening.result()
