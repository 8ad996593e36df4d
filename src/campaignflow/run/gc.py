"""Pausing the cyclic garbage collector during a run's large batches: opt-in.

A batch (``fire_many``, ``record_many``) allocates tens of thousands of
objects that live until it commits (steps, verdicts, rows); so many survivors
trigger full collections, which walk every tracked object of the process (a
national org's worth) and free nothing that reference counting would not: one
took 0.2 s of a 0.78 s durable batch of 10,000. Pausing the collector for the
batch makes it 1.3-1.8x faster (benchmarks/gc_pause.py).

But the collector is process-wide: while one thread's batch runs, no thread of
the host collects cycles. So the pause is the host's choice, off by default:
``campaign.start(org, pause_gc=True)`` / ``campaign.open(..., pause_gc=True)``,
``run.pause_gc = True``, or for every run of a process that owns its threads
(a batch script, a benchmark) the environment variable
``CAMPAIGNFLOW_PAUSE_GC=1`` (docs/explanation/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from campaignflow.org.bulk import ENV, collector_paused, pause_asked

BATCH = 256  # below this, a collection or two costs less than it is worth thinking about
__all__ = ["BATCH", "ENV", "default", "paused"]


def default() -> bool:
    """Whether a run that does not choose pauses: ``CAMPAIGNFLOW_PAUSE_GC=1`` in the environment."""
    return pause_asked()


@contextmanager
def paused(size: int, *, on: bool) -> Iterator[None]:
    """Pause collection while a batch of ``size`` items is processed, if ``on`` (and it was enabled)."""
    with collector_paused(on and size >= BATCH):
        yield
