"""Pandera's optional integrations, which a process that only reads and checks workbooks
can do without."""

from __future__ import annotations

import sys

# Probed by pandera at import when they are installed (data synthesis, other dataframe
# libraries; dask comes with the Dask runner, hypothesis with the tests): about half a
# second of imports, of which validating pandas frames uses nothing.
PANDERA_EXTRAS = ("hypothesis", "dask", "modin", "pyspark", "polars", "geopandas", "ibis")


def skip_pandera_extras() -> None:
    """Make pandera's optional integrations look absent to this process; call it before
    pandera is imported, in a process that uses none of them."""
    for name in PANDERA_EXTRAS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
