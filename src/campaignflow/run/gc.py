"""The cyclic garbage collector during a run's large batches: the heap set aside, or (opt-in) paused.

A batch (``fire_many``, ``record_many``) keeps tens of thousands of new objects
alive until it commits (steps, their evidence, rows). The young collections
that run meanwhile promote them to the oldest generation, and once promotions
since the last full collection pass a quarter of that generation, Python 3.11
runs a full collection: it walks every tracked object of the process (a
benchmark's, with the library and its imports loaded and no org, holds
150,000-180,000: 0.09-0.19 s on the project's machine; an org adds its own) and
frees nothing, the batch's objects dying by reference count once it returns.
So most large batches paid one (benchmarks/gc_pause.py counts them).

By default a batch of ``BATCH`` items or more sets the heap it starts with
aside (``gc.freeze()``, undone by ``gc.unfreeze()`` when it ends, raised or
not): the collector keeps running, for every thread, and still collects the
cycles of objects made meanwhile, but its collections walk only those, not the
process's whole heap; what is set aside goes back to the oldest generation
after, to be examined by the next full collection. Freezing and unfreezing are
list splices, O(1). A process whose host froze its heap itself (a pre-forking
server's ``gc.freeze()`` after its imports) is left alone from the first batch
that sees it, as is a collector the host disabled. What it cannot see: a host
thread that freezes while another thread's batch runs has that freeze undone
when the batch ends.

Pausing the collector for the batch (``gc.disable()``) saves its young
collections too, but the collector is process-wide: while one thread's batch
runs, no thread of the host collects cycles. So the pause is the host's
choice, off by default: ``campaign.start(org, pause_gc=True)`` /
``campaign.open(..., pause_gc=True)``, ``run.pause_gc = True``, or for every
run of a process that owns its threads (a batch script, a benchmark) the
environment variable ``CAMPAIGNFLOW_PAUSE_GC=1``
(docs/explanation/performance.md).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from campaignflow.org.bulk import ENV, collector_paused, pause_asked

BATCH = 256  # below this, a collection or two costs less than it is worth thinking about
__all__ = ["BATCH", "ENV", "default", "paused"]

_lock = threading.Lock()
_held = [0]  # batches (of any thread) inside the freeze this module made
_host_freezes = [False]  # the host froze objects itself: its freezes are its own, never undone here


def default() -> bool:
    """Whether a run that does not choose pauses: ``CAMPAIGNFLOW_PAUSE_GC=1`` in the environment."""
    return pause_asked()


@contextmanager
def paused(size: int, *, on: bool) -> Iterator[None]:
    """A batch of ``size`` items: the collector paused if ``on`` (and it was enabled), else the heap
    set aside (see the module); nothing for a batch under ``BATCH`` items."""
    if size < BATCH:
        yield
    elif on:
        with collector_paused(on=True):
            yield
    else:
        with set_aside():
            yield


@contextmanager
def set_aside() -> Iterator[None]:
    """The heap frozen for the block, unless the collector is off or the host froze objects itself.

    The first batch to start freezes, the last to end unfreezes: another thread's
    batch inside the freeze neither freezes again nor ends it early.
    ``gc.get_freeze_count()`` walks what is frozen, so it is asked only while
    nothing is frozen here (O(1) then), and never again once a host froze.
    """
    with _lock:
        mine = _held[0] > 0 or (not _host_freezes[0] and gc.isenabled() and _nothing_frozen())
        if mine:
            if not _held[0]:
                gc.freeze()
            _held[0] += 1
    try:
        yield
    finally:
        if mine:
            with _lock:
                _held[0] -= 1
                if not _held[0]:
                    gc.unfreeze()


def _nothing_frozen() -> bool:
    if gc.get_freeze_count():
        _host_freezes[0] = True
        return False
    return True
