"""Prefect flows: nightly inbox processing, backfill, and the dry-run validation of the inbox.

Thin wiring only: each flow runs its sequence from transforms.pipeline with every
step as a Prefect task (retries declared below). With the Dask task runner
(settings.task_runner), reading files fans out over Dask workers in batches;
checking the batch and writing the warehouse stay here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar, cast

import prefect.context
from prefect import Flow, Task, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY
from prefect.utilities.annotations import quote

import flows.flow_run_process  # noqa: F401  (first: a deployed run's process, before pandera)
from flows.artifacts import publish_run_artifacts
from ntm.settings import Settings
from transforms import pipeline, progress
from transforms.intake.inbox import scan
from transforms.validation import validate
from transforms.validation.validate import ReadFile, ToRead, Validated, validate_files

P = ParamSpec("P")
R = TypeVar("R")

# Steps that touch files retry: a network share or a busy disk fails transiently.
# Connections and frames are not inputs worth hashing: no task result caching.
_FILE_STEP = {"retries": 2, "retry_delay_seconds": 2}
_TASKS: dict[Callable[..., Any], Task[..., Any]] = {
    fn: task(fn, name=name, cache_policy=NO_CACHE, **options)  # type: ignore[call-overload]
    for fn, name, options in (
        (pipeline.take_inbox, "take_inbox", _FILE_STEP),
        (pipeline.drop_recorded, "drop_recorded", {}),
        (pipeline.read_here, "validate_received", {}),
        (validate.check_read, "check_read", {}),
        (pipeline.commit_batch, "commit_batch", {}),
        (pipeline.clear_inbox, "clear_inbox", _FILE_STEP),
        (pipeline.publish, "publish", _FILE_STEP),
        (pipeline.write_feedback_for, "write_feedback", _FILE_STEP),
        (pipeline.write_reports_for, "write_reports", _FILE_STEP),
        (pipeline.replace_reparsed, "replace_reparsed", {}),
        (pipeline.rebuild, "rebuild_marts", {}),
    )
}


def _retry_unless_other_reader(task: object, task_run: object, state: State[Any]) -> bool:
    """Return whether a failed batch is worth another try: not on a worker that runs other
    code than the host (it would refuse the batch again)."""
    return not isinstance(state.data, validate.OtherReader)


@task(
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_unless_other_reader,
)
def read_batch(items: list[ToRead]) -> list[ReadFile]:
    """Return the read results of a batch of files (on a Dask worker): plain records."""
    return [validate.read_to_read(item) for item in items]


def as_task(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Return the result of one pipeline step run as its Prefect task.

    Inputs are passed opaque: results of hundreds of files (with their frames) and live
    connections are costly to introspect and hold no upstream futures.
    """
    wrapped = [quote(a) for a in args]
    return cast(R, _TASKS[fn](*wrapped, **{k: quote(v) for k, v in kwargs.items()}))


def as_task_beside(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> pipeline.Pending[R]:
    """Return the future of one pipeline step submitted as its Prefect task (the flow's
    task runner runs it in a thread beside the flow's next steps)."""
    wrapped = [quote(a) for a in args]
    return _TASKS[fn].submit(*wrapped, **{k: quote(v) for k, v in kwargs.items()})


def _reader(settings: Settings) -> pipeline.Reader:
    """Return how this run reads and checks files: on this machine, or on Dask workers."""
    if settings.task_runner != "dask":
        return lambda paths, names: as_task(pipeline.read_here, paths, names)

    def on_dask(paths: Sequence[Path], names: Sequence[str]) -> Validated:
        return as_task(validate.check_read, _read_on_dask(settings, list(paths), list(names)))

    return on_dask


def _orchestration(settings: Settings) -> pipeline.Orchestration:
    return pipeline.Orchestration(
        step=as_task, start=as_task_beside, read=_reader(settings), announce=publish_run_artifacts
    )


def _log_progress(event: progress.Event) -> None:
    """Log a stage as a plain line when it ends (the nightly run has no terminal to draw on)."""
    if event.total is not None and event.done == event.total:
        get_run_logger().info("%s: %d of %d done", event.stage, event.done, event.total)


def _run(flow_name: str) -> pipeline.RunStart:
    return pipeline.RunStart.now(str(flow_run.get_id() or uuid.uuid4()), flow_name)


@flow(name="nightly")
def nightly(home: str | None = None) -> dict[str, Any]:
    """Process the inbox: archive, validate, load, recompute, publish; return the run's counts."""
    settings = Settings.from_env(home)
    with progress.listening(_log_progress):
        summary = pipeline.nightly(settings, _run("nightly"), _orchestration(settings))
    return summary.counts()


@flow(name="backfill")
def backfill(
    from_year: int,
    to_year: int,
    districts: list[str] | None = None,
    reparse: bool = False,
    home: str | None = None,
) -> dict[str, Any]:
    """Recompute the marts for a range of years; with reparse, read the archived files again."""
    settings = Settings.from_env(home)
    with progress.listening(_log_progress):
        summary = pipeline.backfill(
            settings,
            _run("backfill"),
            range(from_year, to_year + 1),
            districts,
            reparse,
            _orchestration(settings),
        )
    return summary.counts()


@flow(name="validate-inbox")
def validate_inbox(home: str | None = None) -> list[dict[str, Any]]:
    """Validate the inbox without writing anything; return one line per file."""
    settings = Settings.from_env(home)
    files = scan(settings.inbox, settings.settle_seconds)
    results = validate_files([f.path for f in files], [f.name for f in files])
    return [{"file": r.file, "errors": len(r.errors), "warnings": len(r.warnings)} for r in results]


@contextlib.contextmanager
def by_hand() -> Iterator[None]:
    """Run the flows called inside as a person runs them (`ntm run`, `backfill`, `demo`):
    without Prefect's flow-run heartbeats.

    The heartbeat thread sleeps in one-second steps and the flow joins it on exit, which
    costs up to a second at the end of every run (0.8 s measured on a rerun that takes
    0.3 s). A run by hand is watched by its command (ntm/supervise.py), so it does not
    need them; deployed runs (prefect.yaml, through a worker) keep Prefect's default,
    which lets an automation mark a run whose machine died as crashed.
    """
    if PREFECT_FLOWS_HEARTBEAT_FREQUENCY.name in os.environ:  # asked for: kept
        yield
        return
    # `temporary_settings` validates a whole new Settings (70-90 ms on a slow day); the
    # one value changed here is valid as it is (None: no heartbeats), so a copy will do
    context = prefect.context.get_settings_context()
    current = context.settings
    quiet = current.model_copy(
        update={"flows": current.flows.model_copy(update={"heartbeat_frequency": None})}
    )
    with prefect.context.SettingsContext(profile=context.profile, settings=quiet):
        yield


def run_by_hand(chosen: Flow[..., R], **parameters: Any) -> R:
    """Return the result of a flow run here and now, as a person runs it (`ntm run`,
    `backfill`, `demo`): without heartbeats (see by_hand), its flow run created first and
    then run by Prefect's engine, as a worker runs a deployment's.

    Called as a function, a flow serialises its parameters with FastAPI's encoder before
    creating its run, and importing FastAPI for it costs about 0.2 s of every run by hand
    (0.36-0.49 s on a slow day). These flows' parameters are plain values (a home as text,
    years, district codes, a flag) that the client sends as JSON as they are; the run
    shows the same parameters, defaults included, and the same tags.
    """
    from prefect.context import SyncClientContext, TagsContext
    from prefect.flow_engine import run_flow
    from prefect.states import Pending
    from prefect.utilities.callables import get_call_parameters

    values = get_call_parameters(chosen.fn, (), parameters)
    # the engine takes the client of the context it finds: one client, one connection
    with by_hand(), SyncClientContext.get_or_create() as context:
        created = context.client.create_flow_run(
            chosen, parameters=values, state=Pending(), tags=TagsContext.get().current_tags
        )
        return cast(R, run_flow(chosen, flow_run=created, parameters=values))


def _read_on_dask(settings: Settings, paths: list[Path], names: list[str]) -> list[ReadFile]:
    """Return every file's read result, in order, read in batches on Dask workers."""
    from flows import dask_runner

    if not paths:
        return []
    with dask_runner.started(settings) as (runner, count):
        batches = pipeline.reading_batches(settings, paths, names, count)
        # not quoted: Dask rebuilds Prefect's annotation wrappers wrongly on the way
        # (quote(x) arrives as quote((x,))); a batch is a short list, cheap to walk
        futures = [runner.submit(read_batch, {"items": batch}) for batch in batches]
        return gathered(batches, futures)


class BatchFuture(Protocol):
    """What `gathered` needs of a batch's future (a PrefectDaskFuture)."""

    def result(
        self, timeout: float | None = None, raise_on_failure: bool = True
    ) -> list[ReadFile]: ...


def gathered(batches: Sequence[list[ToRead]], futures: Sequence[BatchFuture]) -> list[ReadFile]:
    """Return the read results of batches sent to Dask, in order; a batch whose task
    failed or ran out of time is read again here, in readers with limits.

    On a Dask worker a batch is read in the worker's own process: a file that crashes
    its reader, or exhausts its memory, kills that worker, and Dask then fails the
    batch (KilledWorker). Read here, each file has a process of its own (workers.py),
    so that file alone is rejected and the rest of its batch is loaded. A batch gets
    the time its files may take one by one (NTM_READ_SECONDS each) before it counts as
    hung; a district file takes milliseconds.
    """
    parts: list[list[ReadFile] | None] = []  # None: the batch is read again here
    for batch, future in zip(batches, futures, strict=True):
        try:
            parts.append(future.result(timeout=validate.READ_LIMITS.seconds * len(batch)))
        except Exception as exc:  # KilledWorker, TimeoutError, a failed task: read it here
            wrapped = getattr(future, "wrapped_future", None)  # the Dask future under it
            if wrapped is not None:
                with contextlib.suppress(Exception):
                    wrapped.cancel()
            _warn(
                "a batch of %d files read on Dask failed (%s): reading it here, each file "
                "in a reader of its own",
                len(batch),
                f"{type(exc).__name__}: {exc}"
                if isinstance(exc, validate.OtherReader)
                else type(exc).__name__,
            )
            parts.append(None)
    # every failed batch in one pool of readers (one start, however many failed)
    items = [
        (item.path, item.name)
        for batch, part in zip(batches, parts, strict=True)
        if part is None
        for item in batch
    ]
    again = iter(validate.read_files(items, os.cpu_count() or 1) if items else [])
    return [
        read
        for batch, part in zip(batches, parts, strict=True)
        for read in (part if part is not None else [next(again) for _ in batch])
    ]


def _warn(message: str, *args: object) -> None:
    """Log a warning to the flow run's log (or Python's, outside a run)."""
    try:
        logger: Any = get_run_logger()
    except Exception:  # no run context: a plain call (tests)
        logger = logging.getLogger(__name__)
    logger.warning(message, *args)
