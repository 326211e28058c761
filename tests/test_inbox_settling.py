"""The inbox never forgets a file: ready when it stays the same between two looks, whatever
its modification time says; every run says what it left in the inbox and why."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from flows.artifacts import inbox_left_markdown
from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.intake.inbox import LEFT_REASONS, scan_inbox


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", settle_seconds=0.5).ensure()


def _statuses(settings: Settings) -> dict[str, str]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return dict(con.execute("select file_name, status from ops.submissions").fetchall())


def test_a_file_with_a_future_modification_time_is_processed(settings):
    path = Book().write(settings.inbox / "wrong-clock.xlsx")
    future = time.time() + 400 * 24 * 3600  # a district PC a year and more ahead
    os.utime(path, (future, future))
    summary = pipeline.run_once(settings, "future")
    assert summary.count("accepted") == 1
    assert _statuses(settings) == {"wrong-clock.xlsx": "accepted"}
    assert not path.exists()
    assert summary.left_in_inbox == ()


def test_a_file_still_being_written_is_left_and_taken_by_the_next_run(settings):
    Book(district="116").write(settings.inbox / "done.xlsx")
    growing = settings.inbox / "growing.xlsx"
    data = Book().write(settings.inbox.parent / "whole.xlsx").read_bytes()
    growing.write_bytes(data[:100])
    stop = threading.Event()

    def copy_slowly() -> None:  # a sync job copying a few bytes at a time
        written = 100
        with growing.open("ab") as fh:
            while not stop.is_set() and written < len(data) - 10:
                fh.write(data[written : written + 10])
                fh.flush()
                written += 10
                time.sleep(0.02)

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    try:
        summary = pipeline.run_once(settings, "while-copying")
    finally:
        stop.set()
        writer.join()
    assert _statuses(settings) == {"done.xlsx": "accepted"}
    assert growing.exists()
    assert [(f.name, f.reason) for f in summary.left_in_inbox] == [
        ("growing.xlsx", "still_copying")
    ]
    assert summary.counts()["left_in_inbox"][0]["why"] == LEFT_REASONS["still_copying"]

    growing.write_bytes(data)  # the copy finished
    pipeline.run_once(settings, "after-copy")
    assert _statuses(settings) == {"done.xlsx": "accepted", "growing.xlsx": "accepted"}


def test_every_run_reports_what_it_left_and_why(settings):
    for name in ("~$book.xlsx", ".hidden.xlsx", "upload.xlsx.part"):
        (settings.inbox / name).write_bytes(b"x")
    (settings.inbox / "a folder").mkdir()
    Book().write(settings.inbox / "ok.xlsx")
    summary = pipeline.run_once(settings, "left")
    left = {f.name: f.reason for f in summary.left_in_inbox}
    assert left == {
        "~$book.xlsx": "office_lock",
        ".hidden.xlsx": "hidden",
        "upload.xlsx.part": "temporary",
        "a folder": "not_a_file",
    }
    markdown = inbox_left_markdown(summary)
    assert "4 file(s) left in the inbox" in markdown
    assert LEFT_REASONS["office_lock"] in markdown
    assert "| ok.xlsx |" not in markdown
    # they stay, and every run says so again; an empty inbox says nothing was left
    again = pipeline.run_once(settings, "again")
    assert {f.name: f.reason for f in again.left_in_inbox} == left
    for path in settings.inbox.iterdir():
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    assert "Nothing was left" in inbox_left_markdown(pipeline.run_once(settings, "empty"))


def test_the_two_looks_are_the_settle_interval_apart_and_nothing_waits_for_an_empty_inbox(
    tmp_path,
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    waited: list[float] = []
    assert scan_inbox(inbox, 5, sleep=waited.append).ready == []
    assert waited == []
    Book().write(inbox / "a.xlsx")
    found = scan_inbox(inbox, 5, sleep=waited.append)
    assert waited == [5] and [f.name for f in found.ready] == ["a.xlsx"]

    def touch(_: float) -> None:  # the file changes between the looks
        with (inbox / "a.xlsx").open("ab") as fh:
            fh.write(b"\0")

    changed = scan_inbox(inbox, 5, sleep=touch)
    assert changed.ready == [] and [f.reason for f in changed.left] == ["still_copying"]
