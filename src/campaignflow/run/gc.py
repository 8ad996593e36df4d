"""Pausing the cyclic garbage collector during large batches.

A batch allocates tens of thousands of short-lived acyclic objects (steps,
verdicts, rows); each allocation burst triggers collections that walk every
tracked object of the process — 640,000 units' worth at national scale — and
found nothing to free. Reference counting frees the batch's garbage anyway;
the collector runs again as soon as the batch ends. Measured: 13 % of a
10,000-step durable batch (benchmarks/run.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH = 256  # below this, a collection or two costs less than it is worth thinking about


@contextmanager
def paused(size: int) -> Iterator[None]:
    """Pause collection while a batch of ``size`` items is processed (if it was on)."""
    if size < BATCH or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
