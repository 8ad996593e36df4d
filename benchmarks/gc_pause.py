"""Benchmark: a run's batches with the cyclic collector paused (``pause_gc=True``) and running (the default).

Usage:
    python benchmarks/gc_pause.py [--quick] [--heap N ...]

Times, in one process and interleaved, the two batches the pause applies to:

- ``fire_many`` of every unit in one durable batch on SQLite (no gate): the
  ``durable fires on SQLite, batch 10000`` figure of benchmarks/run.py;
- ``fire_many`` with a 5-rule gate in memory, after ``record_many`` of three
  documents per unit (both batches timed): its ``fire_many ... in memory`` figure;

each with the host holding ``--heap`` long-lived tracked objects (0, and 10**6
as a stand-in for a national org loaded in the same process: what every
collection walks). Prints the rate of each mode (best of 3) and the ratio
paused / running; the machine is noisy (±30 % between repeats), compare ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

import campaignflow as cf


@attrs.frozen
class Doc:
    n: int


ACTOR = cf.Actor(id="bench")


def durable(units: list[str], pause: bool) -> float:
    """Steps per second of one durable fire_many of every unit on SQLite."""
    c = cf.Campaign("bench-db")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    with tempfile.TemporaryDirectory() as tmp:
        run = c.start(units, store=f"sqlite:///{Path(tmp) / 'bench.db'}", pause_gc=pause)
        start = time.perf_counter()
        run.fire_many(units, "go", by=ACTOR)
        return len(units) / (time.perf_counter() - start)


def in_memory(units: list[str], pause: bool) -> float:
    """Items per second of record_many (3 per unit) then fire_many through a 5-rule gate, in memory."""
    c = cf.Campaign("bench")
    c.stages("a", "b")
    gate = cf.all_of(
        cf.count_at_least(Doc, 1),
        cf.count_at_least(Doc, 2),
        cf.count_at_least(Doc, 3),
        cf.exists(Doc),
        cf.sum_at_least(Doc, "n", 2),
    )
    c.transition("go", "a", "b", gate=gate)
    run = c.start(units, ids=cf.CountingIds(), pause_gc=pause)
    start = time.perf_counter()
    run.record_many([(u, Doc(1)) for u in units for _ in range(3)], by=ACTOR)
    run.fire_many(units, "go", by=ACTOR)
    return 4 * len(units) / (time.perf_counter() - start)


def compare(name: str, fn: Callable[[list[str], bool], float], units: list[str], heap: int) -> None:
    """Best of 3 per mode, the modes interleaved so that the machine's drift hits both."""
    paused: list[float] = []
    running: list[float] = []
    for _ in range(3):
        paused.append(fn(units, True))  # noqa: FBT003 - the mode measured
        running.append(fn(units, False))  # noqa: FBT003
    p, r = max(paused), max(running)
    print(
        f"{name:34s} heap {heap:>9,}  paused {p:10,.0f}/s  running {r:10,.0f}/s  paused/running {p / r:5.2f}x"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 units instead of 10,000")
    parser.add_argument("--heap", type=int, nargs="+", default=[0, 1_000_000], help="host objects kept alive")
    args = parser.parse_args()
    units = [f"u{i}" for i in range(2_000 if args.quick else 10_000)]
    print(f"campaignflow {cf.__version__}, {len(units):,} units per batch")
    for heap in args.heap:
        host = [{"i": i} for i in range(heap)]  # long-lived tracked objects: what a collection walks
        compare("durable fire_many on SQLite", durable, units, heap)
        compare("record_many + fire_many, in memory", in_memory, units, heap)
        del host


if __name__ == "__main__":
    main()
