"""Profile the hot paths with pyinstrument: fire, fire_many, and a durable batch.

Usage:
    pip install -e '.[bench]'
    python benchmarks/profile.py [fire|fire_many|durable] [--units N]

Prints pyinstrument's call tree (time per frame, library frames shown) for one
workload; docs/explanation/performance.md records what these showed and what
was changed.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs
from pyinstrument import Profiler

import campaignflow as cf


@attrs.frozen
class Doc:
    n: int


def gated(units: list[str], store: object = None) -> cf.Run:
    """A run whose ``go`` has the benchmark's 5-rule gate, each unit holding 3 Docs."""
    c = cf.Campaign("profile")
    c.stages("a", "b")
    c.transition(
        "go",
        "a",
        "b",
        gate=cf.all_of(
            cf.count_at_least(Doc, 1),
            cf.count_at_least(Doc, 2),
            cf.count_at_least(Doc, 3),
            cf.exists(Doc),
            cf.sum_at_least(Doc, "n", 2),
        ),
    )
    run = c.start(units, store=store)
    run.record_many([(u, Doc(1)) for u in units for _ in range(3)], by=cf.Actor(id="p"))
    return run


def main() -> None:
    """Profile one workload and print the tree."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", choices=["fire", "fire_many", "durable"], nargs="?", default="fire")
    parser.add_argument("--units", type=int, default=10_000)
    args = parser.parse_args()
    units = [f"u{i}" for i in range(args.units)]
    actor = cf.Actor(id="p")
    with tempfile.TemporaryDirectory() as tmp:
        work: Callable[[], object]
        if args.workload == "durable":
            run = gated(units, store=f"sqlite:///{Path(tmp) / 'p.db'}")
            work = lambda: run.fire_many(units, "go", by=actor)  # noqa: E731
        elif args.workload == "fire_many":
            run = gated(units)
            work = lambda: run.fire_many(units, "go", by=actor)  # noqa: E731
        else:
            run = gated(units)
            work = lambda: [run.fire(u, "go", by=actor) for u in units]  # noqa: E731
        gc.collect()  # the set-up's garbage is not the workload's
        profiler = Profiler(interval=0.0005)
        profiler.start()
        work()
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
