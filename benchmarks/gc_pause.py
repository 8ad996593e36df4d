"""Benchmark: a run's batches with the collector running, the heap set aside (the default), and paused.

Usage:
    python benchmarks/gc_pause.py [--quick] [--heap N ...]

Times, in one process and interleaved, the batches run/gc.py applies to:

- ``fire_many`` of every unit in one durable batch on SQLite (no gate): the
  ``durable fires on SQLite, batch 10000`` figure of benchmarks/run.py;
- ``record_many`` of one record per unit in one durable batch on SQLite: the
  ``durable record_many`` figure of benchmarks/durable.py;
- ``fire_many`` with a 5-rule gate in memory, after ``record_many`` of three
  documents per unit (both batches timed): its ``fire_many ... in memory`` figure;

each in three modes: ``running`` (the collector left as it is: what batches did
before they set the heap aside), ``aside`` (the default: the heap the batch
starts with frozen, the collector running on what is new) and ``paused``
(``pause_gc=True``), with the host holding ``--heap`` long-lived tracked objects
(0, and 10**6 as a stand-in for a national org loaded in the same process: what
every full collection walks). Prints the rate of each mode (best of 3, this
process's CPU time), the full collections that ran inside the timed batches and
their seconds (``gc.callbacks``), and each mode's rate over ``running``'s; the
machine is noisy (±30 % between repeats), compare ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

import campaignflow as cf
from campaignflow.run import gc as run_gc


@attrs.frozen
class Doc:
    n: int


ACTOR = cf.Actor(id="bench")
MODES = ("running", "aside", "paused")
FULL: list[float] = []  # seconds of each full collection while a batch is timed
_timing = [False]
_began = [0.0]


def _watch(phase: str, info: dict[str, Any]) -> None:
    if not _timing[0] or info["generation"] != 2:  # the oldest generation: a full collection
        return
    if phase == "start":
        _began[0] = time.perf_counter()
    else:
        FULL.append(time.perf_counter() - _began[0])


@contextlib.contextmanager
def _mode(mode: str) -> Iterator[bool]:
    """The mode's ``pause_gc`` for the run; ``running`` also turns the set-aside off."""
    aside = run_gc.set_aside
    if mode == "running":
        run_gc.set_aside = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield mode == "paused"
    finally:
        run_gc.set_aside = aside


@contextlib.contextmanager
def _timed() -> Iterator[list[float]]:
    """This process's CPU seconds of the block, in the list yielded; full collections noted."""
    spent: list[float] = []
    _timing[0] = True
    began = time.process_time()
    try:
        yield spent
    finally:
        spent.append(time.process_time() - began)
        _timing[0] = False


def _durable_campaign() -> cf.Campaign:
    c = cf.Campaign("bench-db")
    c.stages("a", "b")
    c.evidence(Doc)
    c.transition("go", "a", "b")
    return c


def durable_fires(units: list[str], pause: bool) -> float:
    """Steps per CPU second of one durable fire_many of every unit on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        run = _durable_campaign().start(units, store=f"sqlite:///{Path(tmp) / 'bench.db'}", pause_gc=pause)
        gc.collect()  # the set-up's garbage is not the batch's
        with _timed() as spent:
            run.fire_many(units, "go", by=ACTOR)
        return len(units) / spent[0]


def durable_records(units: list[str], pause: bool) -> float:
    """Records per CPU second of one durable record_many, one record per unit, on SQLite."""
    with tempfile.TemporaryDirectory() as tmp:
        run = _durable_campaign().start(units, store=f"sqlite:///{Path(tmp) / 'bench.db'}", pause_gc=pause)
        items = [(u, Doc(i)) for i, u in enumerate(units)]
        gc.collect()
        with _timed() as spent:
            run.record_many(items, by=ACTOR)
        return len(units) / spent[0]


def in_memory(units: list[str], pause: bool) -> float:
    """Items per CPU second of record_many (3 per unit) then fire_many through a 5-rule gate, in memory."""
    c = cf.Campaign("bench")
    c.stages("a", "b")
    c.evidence(Doc)
    gate = cf.all_of(
        cf.count_at_least(Doc, 1),
        cf.count_at_least(Doc, 2),
        cf.count_at_least(Doc, 3),
        cf.exists(Doc),
        cf.sum_at_least(Doc, "n", 2),
    )
    c.transition("go", "a", "b", gate=gate)
    run = c.start(units, ids=cf.CountingIds(), pause_gc=pause)
    items = [(u, Doc(1)) for u in units for _ in range(3)]
    gc.collect()
    with _timed() as spent:
        run.record_many(items, by=ACTOR)
        run.fire_many(units, "go", by=ACTOR)
    return 4 * len(units) / spent[0]


def compare(name: str, fn: Callable[[list[str], bool], float], units: list[str], heap: int) -> None:
    """Best of 3 per mode, the modes interleaved so that the machine's drift hits each."""
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    full: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(3):
        for mode in MODES:
            FULL.clear()
            with _mode(mode) as pause:
                rates[mode].append(fn(units, pause))
            full[mode].extend(FULL)
    best = {mode: max(found) for mode, found in rates.items()}
    cells = "  ".join(
        f"{mode} {best[mode]:9,.0f}/s ({len(full[mode]) / 3:.1f} full, {sum(full[mode]) / 3 * 1000:4.0f} ms)"
        for mode in MODES
    )
    ratios = ", ".join(f"{mode} {best[mode] / best['running']:.2f}x" for mode in MODES[1:])
    print(f"{name:34s} heap {heap:>9,}  {cells}  {ratios}")


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 units instead of 10,000")
    parser.add_argument("--heap", type=int, nargs="+", default=[0, 1_000_000], help="host objects kept alive")
    args = parser.parse_args()
    units = [f"u{i}" for i in range(2_000 if args.quick else 10_000)]
    print(f"campaignflow {cf.__version__}, {len(units):,} units a batch; CPU rates, full collections a batch")
    gc.callbacks.append(_watch)
    for heap in args.heap:
        host = [[i] for i in range(heap)]  # long-lived tracked objects: what a full collection walks
        compare("durable fire_many on SQLite", durable_fires, units, heap)
        compare("durable record_many on SQLite", durable_records, units, heap)
        compare("record_many + fire_many, in memory", in_memory, units, heap)
        del host


if __name__ == "__main__":
    main()
