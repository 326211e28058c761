"""The Dask task runner (prefect-dask) that reading and validating fan out on.

Imported only by runs whose settings choose Dask: prefect-dask and distributed
cost a third of a second to import.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_dask import DaskTaskRunner

from ntm.settings import Settings

# Batches per worker thread: enough that one slow batch leaves no worker idle for
# long, few enough that each task's orchestration (a few API calls) stays negligible.
BATCHES_PER_THREAD = 4


def task_runner(settings: Settings) -> DaskTaskRunner:
    """Return a runner joining the scheduler at settings.dask_address, or starting a local
    cluster of worker processes."""
    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": settings.dask_workers,
            "threads_per_worker": settings.dask_threads_per_worker,
            # parsing holds the GIL: one process per worker, not threads
            "processes": True,
            # a cluster lives for one run; its dashboard would only contend for a port
            "dashboard_address": None,
        },
    )


@contextlib.contextmanager
def started(settings: Settings) -> Iterator[tuple[DaskTaskRunner, int]]:
    """Yield a started runner and how many batches to split the files into."""
    with _api_for_workers(), _quiet_distributed(), task_runner(settings) as runner:
        threads = sum(runner.client.nthreads().values())
        yield runner, max(1, threads) * BATCHES_PER_THREAD


@contextlib.contextmanager
def _api_for_workers() -> Iterator[None]:
    """Point the workers at the Prefect API this flow reports to.

    Tasks on workers take the flow's Prefect settings with them. Without an API
    URL (a run on a temporary server) each worker would start a server of its
    own on the same database; it is given the temporary server's address instead.
    """
    context = FlowRunContext.get()
    if PREFECT_API_URL.value() or context is None or context.client is None:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: str(context.client.api_url)}):
        yield


@contextlib.contextmanager
def _quiet_distributed() -> Iterator[None]:
    """Keep the cluster's lifecycle chatter (INFO per connection) below Prefect's log level."""
    logger = logging.getLogger("distributed")
    before = logger.level
    logger.setLevel(max(logging.WARNING, logging.getLogger("prefect").getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(before)
