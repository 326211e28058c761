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


@pytest.mark.parametrize("warehouse_exists", [False, True])
def test_a_run_reads_beside_the_opening_of_a_warehouse_it_creates_and_after_an_existing_one(
    tmp_path, monkeypatch, warehouse_exists
):
    import threading

    from tests.workbooks import Book

    settings = Settings(home=tmp_path / "home", settle_seconds=0).ensure()
    if warehouse_exists:
        pipeline.connect(settings.warehouse).close()
    Book().write(settings.inbox / "a.xlsx")
    events: list[str] = []
    reading = threading.Event()
    real_connect = pipeline.connect

    def connect(path: Path) -> duckdb.DuckDBPyConnection:
        reading.wait(timeout=5)  # a run that waited for the warehouse would wait here 5 s
        events.append("opened" if reading.is_set() else "opened before reading")
        return real_connect(path)

    def read(paths, names):  # type: ignore[no-untyped-def]
        events.append("reading")
        reading.set()
        return pipeline.read_here(paths, names)

    monkeypatch.setattr(pipeline, "connect", connect)
    summary = pipeline.nightly(
        settings, pipeline.RunStart.now("r1", "nightly"), pipeline.Orchestration(read=read)
    )
    assert summary.counts()["accepted"] == 1
    if warehouse_exists:  # it may hold files a crashed run recorded: known before reading
        assert events == ["opened before reading", "reading"]
    else:
        assert events == ["reading", "opened"]
