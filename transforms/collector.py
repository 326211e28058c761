"""How often Python's cyclic garbage collector runs in our processes."""

from __future__ import annotations

import gc

# A collection every 50,000 new container objects instead of every 700. The libraries
# imported and the registry read leave a few million objects that live as long as the
# process; at the default the collector walks them over and over (measured: 70 ms of
# `ntm validate`'s half second, 0.07 s of a national year's run, 6% of the readers'
# time). Garbage without cycles is freed at once either way; cycles wait a little longer.
THRESHOLDS = (50_000, 20, 20)


def collect_less_often(freeze: bool = False) -> None:
    """Raise the collector's thresholds for this process; with `freeze`, also set aside
    every object alive now, as a process that forks workers should (gc.freeze: the
    collector never walks them again, so the workers never copy their pages for it)."""
    gc.set_threshold(*THRESHOLDS)
    if freeze:
        gc.freeze()
