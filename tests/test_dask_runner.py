"""Reading files elsewhere: by content, on a shared folder, and the nightly flow on Dask workers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from ntm.settings import Settings
from tests.workbooks import Book
from transforms import pipeline
from transforms.demo.generate import generate_demo
from transforms.validation.validate import (
    ToRead,
    check_read,
    read_bytes,
    read_file,
    read_files,
    read_to_read,
    reader_fingerprint,
    validate_batch,
)

MARTS = (
    "commune_assessment",
    "commune_flags",
    "district_summary",
    "province_summary",
    "national_summary",
    "model_coverage",
)


def _bad_book() -> Book:
    book = Book()
    book.rows[0]["fires"] = -1
    book.rows[1]["fires"] = "ba"
    return book


def test_a_file_read_by_content_reads_as_the_file_on_disk(tmp_path):
    for path in (
        Book().write(tmp_path / "thuan-chau.xlsx"),
        _bad_book().write(tmp_path / "bad.xlsx"),
        Book().write(tmp_path / "old.xls"),
        Book().write(tmp_path / "libre.ods"),
    ):
        on_disk = read_file(path, path.name)
        by_content = read_bytes(path.name, path.read_bytes(), path)
        assert by_content == on_disk
        assert read_bytes(path.name, path.read_bytes())[0].path == Path(path.name)


def test_a_file_of_the_wrong_type_is_refused_by_content_as_on_disk(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a workbook")
    assert read_bytes(path.name, path.read_bytes(), path) == read_file(path, path.name)


def test_checking_files_read_elsewhere_gives_what_validate_files_gives(tmp_path):
    paths = [
        Book().write(tmp_path / "a.xlsx"),
        _bad_book().write(tmp_path / "b.xlsx"),
    ]
    items = [ToRead(p, p.name, data=p.read_bytes(), reader=reader_fingerprint()) for p in paths]
    remote_batch = check_read([read_to_read(item) for item in items])
    local_batch = validate_batch(paths)
    remote, local = remote_batch.results, local_batch.results
    assert [(r.path, r.file, r.info, r.issues, r.sheets) for r in remote] == [
        (r.path, r.file, r.info, r.issues, r.sheets) for r in local
    ]
    assert len(remote_batch.rows.of("communes", 0)) == 29
    assert remote_batch.rows.communes.equals(local_batch.rows.communes)
    assert (
        check_read(read_files([(p, p.name) for p in paths], 1)).results[1].issues == local[1].issues
    )


def test_with_a_shared_folder_readers_open_archived_files_there(tmp_path):
    settings = Settings(home=tmp_path / "home", shared_path=tmp_path / "mounted").ensure()
    (settings.archive / "ab").mkdir()
    archived = Book().write(settings.archive / "ab" / "abc.xlsx")
    shutil.copytree(settings.archive, tmp_path / "mounted")
    outside = Book().write(tmp_path / "elsewhere.xlsx")
    batches = pipeline.reading_batches(
        settings, [archived, outside], ["thuan-chau.xlsx", "other.xlsx"], 4
    )
    (first,), (second,) = batches
    assert first.shared == tmp_path / "mounted" / "ab" / "abc.xlsx" and first.data is None
    assert second.data == outside.read_bytes() and second.shared is None
    archived.unlink()  # the reader opens the shared copy, and reports the archive path
    result, _ = read_to_read(first)
    assert result.path == archived and result.file == "thuan-chau.xlsx" and result.readable


def test_files_are_split_into_ordered_batches_by_content_without_a_shared_folder(tmp_path):
    settings = Settings(home=tmp_path)
    paths = [Book().write(tmp_path / f"{i}.xlsx") for i in range(5)]
    batches = pipeline.reading_batches(settings, paths, [p.name for p in paths], 2)
    assert [[item.path for item in b] for b in batches] == [paths[:3], paths[3:]]
    assert all(item.data is not None for b in batches for item in b)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--runner", "dask", "--dask-workers", "3"], ("dask", None, 3)),
        (["--dask-address", "tcp://10.0.0.5:8786"], ("dask", "tcp://10.0.0.5:8786", 2)),
        ([], ("local", None, 2)),
    ],
)
def test_run_and_backfill_pass_the_runner_options_to_the_flow_settings(
    tmp_path, monkeypatch, args, expected
):
    from typer.testing import CliRunner

    from ntm import cli

    for key in ("NTM_TASK_RUNNER", "NTM_DASK_ADDRESS", "NTM_DASK_WORKERS"):
        monkeypatch.setenv(key, "")  # recorded, so what the command sets is undone after
        monkeypatch.delenv(key)
    seen = []

    def start(flow_name, **kwargs):
        settings = Settings.from_env(kwargs["home"])  # what the flow reads
        seen.append((settings.task_runner, settings.dask_address, settings.dask_workers))
        return {"run_id": "r", "files_seen": 0, "accepted": 0, "rejected": 0, "duplicates": 0}

    monkeypatch.setattr(cli, "_start", start)
    home = ["--home", str(tmp_path)]
    for command in (["run"], ["backfill", "--from", "2019", "--to", "2019"]):
        result = CliRunner().invoke(cli.app, [*command, *home, *args])
        assert result.exit_code == 0, result.output
        for key in ("NTM_TASK_RUNNER", "NTM_DASK_ADDRESS", "NTM_DASK_WORKERS"):
            monkeypatch.delenv(key, raising=False)
    assert seen == [expected, expected]


def test_an_unknown_task_runner_in_the_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("NTM_TASK_RUNNER", "spark")
    with pytest.raises(ValueError, match="spark"):
        Settings.from_env(tmp_path)


def _run(flow_name: str, home: Path, monkeypatch, dask: bool, **kwargs: object) -> str:
    """Run a flow on the default runner or a local Dask cluster; return its flow run id."""
    from flows import nightly as flows

    monkeypatch.setenv("NTM_SETTLE_SECONDS", "0")
    if dask:
        monkeypatch.setenv("NTM_TASK_RUNNER", "dask")
        monkeypatch.setenv("NTM_DASK_WORKERS", "2")
        monkeypatch.setenv("NTM_DASK_THREADS_PER_WORKER", "1")
    else:
        monkeypatch.delenv("NTM_TASK_RUNNER", raising=False)
    counts = getattr(flows, flow_name)(home=str(home), **kwargs)
    return str(counts["run_id"])


def _task_names(run_id: str) -> set[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
    return {run.name.rsplit("-", 1)[0] for run in runs}


def _outcome(home: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        out = {m: con.execute(f"from marts.{m} order by all").fetchall() for m in MARTS}
        out["submissions"] = con.execute(
            "select file_name, sha256, received_at, province_code, district_code, year, status,"
            " error_count, warning_count from ops.submissions order by all"
        ).fetchall()
        out["issues"] = con.execute(
            "select s.file_name, i.* exclude (submission_id) from ops.validation_issues i"
            " join ops.submissions s using (submission_id) order by all"
        ).fetchall()
        out["raw_communes"] = con.execute(
            "select s.file_name, c.* exclude (submission_id) from raw.communes c"
            " join ops.submissions s using (submission_id) order by all"
        ).fetchall()
    return out


@pytest.mark.slow
def test_nightly_on_a_local_dask_cluster_gives_the_marts_of_the_default_runner(
    prefect_server, tmp_path, monkeypatch
):
    local, dask = tmp_path / "local", tmp_path / "dask"
    generate_demo(local / "inbox", province_codes=("58",), years=range(2019, 2022))
    _bad_book().write(local / "inbox" / "bad.xlsx")
    shutil.copytree(local, dask)  # copy2 keeps the modification times: same received_at

    _run("nightly", local, monkeypatch, dask=False)
    run_id = _run("nightly", dask, monkeypatch, dask=True)

    assert {"read_batch", "check_read"} <= _task_names(run_id)
    expected, got = _outcome(local), _outcome(dask)
    assert expected["issues"] and expected["commune_assessment"] and expected["raw_communes"]
    assert {row[6] for row in expected["submissions"]} == {"accepted", "rejected"}
    for key in expected:
        assert got[key] == expected[key], key

    # reading the archive again fans out the same way and changes nothing
    _run("backfill", local, monkeypatch, dask=False, from_year=2019, to_year=2021, reparse=True)
    run_id = _run(
        "backfill", dask, monkeypatch, dask=True, from_year=2019, to_year=2021, reparse=True
    )
    assert "read_batch" in _task_names(run_id)
    assert _outcome(dask) == _outcome(local) == expected


class _Future:
    """A batch's future as gathered sees it: a result, an error, or no answer in time."""

    def __init__(self, result: object = None, error: Exception | None = None) -> None:
        self._result, self._error, self.timeouts = result, error, []

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> object:
        self.timeouts.append(timeout)
        if self._error is not None:
            raise self._error
        return self._result


def test_a_batch_that_fails_or_hangs_on_dask_is_read_here_each_file_on_its_own(
    tmp_path, monkeypatch
):
    from distributed import KilledWorker

    from flows.nightly import gathered
    from transforms.validation import validate

    monkeypatch.setattr(validate, "READ_LIMITS", validate.workers_.Limits(seconds=7.0))
    paths = [Book().write(tmp_path / f"{i}.xlsx") for i in range(4)]
    paths.append(_bad_book().write(tmp_path / "bad.xlsx"))
    batches = pipeline.reading_batches(Settings(home=tmp_path), paths, [p.name for p in paths], 3)
    assert [len(b) for b in batches] == [2, 2, 1]
    on_dask = [read_to_read(item) for item in batches[0]]
    futures = [
        _Future(result=on_dask),
        _Future(error=KilledWorker("read_batch-1", "tcp://127.0.0.1:1", allowed_failures=3)),
        _Future(error=TimeoutError("did not complete within 7.0 seconds")),
    ]
    got = gathered(batches, futures)
    expected = read_files([(p, p.name) for p in paths], 1)
    assert [r for r, _ in got] == [r for r, _ in expected]
    assert check_read(got).rows.communes.equals(check_read(expected).rows.communes)
    assert [r.accepted for r, _ in got] == [True, True, True, True, False]
    # each batch may take its files' time one by one
    assert [f.timeouts for f in futures] == [[14.0], [14.0], [7.0]]


def test_a_worker_running_other_code_refuses_its_batch_which_is_read_here(tmp_path, monkeypatch):
    from prefect.states import Failed

    from flows import nightly
    from flows.nightly import gathered, read_batch
    from transforms.validation import validate

    warned: list[str] = []
    monkeypatch.setattr(nightly, "_warn", lambda message, *args: warned.append(message % args))

    paths = [Book().write(tmp_path / "a.xlsx"), _bad_book().write(tmp_path / "bad.xlsx")]
    batches = pipeline.reading_batches(Settings(home=tmp_path), paths, [p.name for p in paths], 2)
    # the host stamps every file with the fingerprint of its own code and registry data
    assert {item.reader for batch in batches for item in batch} == {validate.reader_fingerprint()}
    assert read_to_read(batches[0][0]) == read_file(paths[0], paths[0].name)
    # a worker left running another checkout (its fingerprint differs) refuses the file
    monkeypatch.setattr(validate, "reader_fingerprint", lambda: "0" * 64)
    with pytest.raises(validate.OtherReader, match="restart it from the host's checkout"):
        read_to_read(batches[0][0])
    # as does a file from a host too old to send a fingerprint
    with pytest.raises(validate.OtherReader, match="the host's none"):
        read_to_read(ToRead(paths[0], paths[0].name, data=paths[0].read_bytes()))
    # ... at once: a retry would be refused again
    retry = read_batch.retry_condition_fn
    assert retry is not None
    assert not retry(read_batch, None, Failed(data=validate.OtherReader("other code")))
    assert retry(read_batch, None, Failed(data=OSError("connection reset")))
    # and the run reads that batch here, saying why
    refused = validate.OtherReader("this reader runs other code or registry data")
    got = gathered(batches, [_Future(error=refused), _Future(error=refused)])
    assert [r for r, _ in got] == [r for r, _ in read_files([(p, p.name) for p in paths], 1)]
    assert len(warned) == 2
    assert all("(OtherReader: this reader runs other code or registry data)" in w for w in warned)


_DIES_ON_DASK = "dies-on-dask.xlsx"
# Started in every process of the Dask cluster (PYTHONPATH): its reader aborts the worker
# process on one file, as a native crash of calamine would.
_SITECUSTOMIZE = f"""
import os
from transforms.validation import validate
_read_to_read = validate.read_to_read
def read_to_read(item):
    if item.name == {_DIES_ON_DASK!r}:
        os.abort()
    return _read_to_read(item)
validate.read_to_read = read_to_read
"""


@pytest.mark.slow
def test_a_file_that_kills_its_dask_worker_leaves_the_run_loading_every_file(
    prefect_server, tmp_path, monkeypatch
):
    local, dask = tmp_path / "local", tmp_path / "dask"
    generate_demo(local / "inbox", province_codes=("58",), years=range(2021, 2022))
    victim = sorted((local / "inbox").glob("58-*-2021.xlsx"))[0]
    victim.rename(victim.with_name(_DIES_ON_DASK))
    shutil.copytree(local, dask)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_SITECUSTOMIZE)

    _run("nightly", local, monkeypatch, dask=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.getcwd()]))
    _run("nightly", dask, monkeypatch, dask=True)

    expected, got = _outcome(local), _outcome(dask)
    # the file whose reader killed every Dask worker that tried it was read here, and loaded
    assert (_DIES_ON_DASK, "accepted") in {(row[0], row[6]) for row in got["submissions"]}
    for key in expected:
        assert got[key] == expected[key], key


def test_a_run_on_dask_starts_no_readers_on_this_machine_beforehand(tmp_path, monkeypatch):
    from ntm import cli
    from transforms.validation import workers

    started = []
    monkeypatch.setattr(workers, "prepare", lambda files, threads=None: started.append(files))
    (tmp_path / "inbox").mkdir()
    Book().write(tmp_path / "inbox" / "a.xlsx")
    dask = Settings(home=tmp_path, task_runner="dask")
    cli.start_readers(dask)
    with pytest.raises(RuntimeError, match="stop here"):
        pipeline.nightly(dask, pipeline.RunStart.now("r1", "nightly"), _refusing_reader())
    assert started == []  # `ntm run --runner dask`, then the run itself
    cli.start_readers(Settings(home=tmp_path))
    assert started == [1]


def test_a_reparse_starts_the_readers_before_prefect_a_plain_backfill_none(tmp_path, monkeypatch):
    from flows import nightly as flows
    from ntm import cli
    from transforms.validation import workers

    started = []
    monkeypatch.setattr(workers, "prepare", lambda files, threads=None: started.append(files))
    monkeypatch.setattr(
        flows, "run_by_hand", lambda chosen, **kwargs: {"reparse": kwargs["reparse"]}
    )
    settings = Settings(home=tmp_path)
    (settings.archive / "ab").mkdir(parents=True)  # the archive: a folder per hash prefix
    Book().write(settings.archive / "ab" / "abcd.xlsx")
    (tmp_path / "inbox").mkdir()  # an empty inbox: what a nightly run would look at

    cli._start("backfill", from_year=2024, to_year=2024, reparse=False, home=str(tmp_path))
    assert started == []  # recomputing from raw reads no file
    cli._start("backfill", from_year=2024, to_year=2024, reparse=True, home=str(tmp_path))
    assert started == [1]
    # and on Dask a reparse reads there: nothing starts here
    monkeypatch.setenv("NTM_TASK_RUNNER", "dask")
    cli._start("backfill", from_year=2024, to_year=2024, reparse=True, home=str(tmp_path))
    assert started == [1]


def _refusing_reader() -> pipeline.Orchestration:
    """Orchestration whose reading stops the run (the test needs the run's start only)."""

    def read(paths: object, names: object) -> object:
        raise RuntimeError("stop here")

    return pipeline.Orchestration(read=read)  # type: ignore[arg-type]
