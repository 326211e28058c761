"""Pandera's optional integrations, which a process that only reads and checks workbooks
can do without."""

from __future__ import annotations

import sys

# Probed by pandera at import when they are installed (data synthesis, other dataframe
# libraries; dask comes with the Dask runner, hypothesis with the tests): about half a
# second of imports, of which validating pandas frames uses nothing.
PANDERA_EXTRAS = ("hypothesis", "dask", "modin", "pyspark", "polars", "geopandas", "ibis")


def skip_pandera_extras(keep: tuple[str, ...] = ()) -> None:
    """Make pandera's optional integrations look absent to this process, but those it keeps;
    call it before pandera is imported, in a process that uses none of the others."""
    for name in PANDERA_EXTRAS:
        if name not in keep:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def set_up_pipeline_process() -> None:
    """Set up a process that runs the pipeline (`ntm run`, `backfill`, `demo`), before it
    imports pandera: without the integrations it never uses but dask (the Dask runner's).

    hypothesis, installed with the tests, otherwise loads on the run's first batch check
    (0.07 s of a national year's run); a production install does not have it.
    """
    skip_pandera_extras(keep=("dask",))
