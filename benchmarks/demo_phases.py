"""Where the demo's time goes: each phase, and the simulation's verbs, on a fraction of an org.

Usage:
    python benchmarks/demo_phases.py [--scale province] [--fraction 0.1] [--db FILE]

Runs ``campaignflow demo`` (the same code: simulation, replay check, roll-up,
dashboard) over ``scaled_org(scale, fraction=...)`` and prints the seconds
between progress reports, then the seconds spent in each of the simulation's
verbs (fire_many, record_many, the weekly duties, evidence reads). The whole
province takes many minutes; a tenth of it shows the same shares.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaignflow import _demo
from campaignflow.presets import scaled
from campaignflow.presets.mass_line import simulation
from campaignflow.run.run import Run

SPENT: dict[str, float] = {}


def _timed(owner: Any, name: str, label: str) -> None:
    """Wrap ``owner.name`` to add its seconds to ``SPENT[label]`` (outermost calls only)."""
    inner: Callable[..., Any] = getattr(owner, name)
    depth = [0]

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                SPENT[label] = SPENT.get(label, 0.0) + time.perf_counter() - started

    setattr(owner, name, timed)


def main() -> None:
    """Run the demo on a fraction of the org; print the phases and the verbs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="province", choices=("province", "national"))
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "demo-phases.db")
    args = parser.parse_args()
    whole = scaled.scaled_org
    scaled.scaled_org = lambda scale, *, seed=0, **_: whole(scale, seed=seed, fraction=args.fraction)
    for name, label in (("fire_all", "fire_many"), ("record", "record_many"), ("week", "weekly duties")):
        _timed(simulation._Sim, name, label)  # noqa: SLF001 - the simulation's own verbs
    _timed(Run, "evidence", "run.evidence reads")
    marks: list[tuple[float, str]] = []
    started = time.perf_counter()
    result = _demo.run_demo(
        seed=0,
        db=args.db,
        scale=args.scale,
        on_progress=lambda phase, _done, _total: marks.append((time.perf_counter(), phase)),
    )
    marks.append((time.perf_counter(), "end"))
    total = time.perf_counter() - started
    print(f"{len(result.run.org):,} units, {result.steps:,} steps, {total:.1f} s, {result.rate:,.0f} steps/s")
    print(result.timings())
    # The simulation reports a phase when it ends, the demo's later phases when they begin.
    for (at, phase), (until, after) in itertools.pairwise(marks):
        print(f"{until - at:9.2f} s  from '{phase}' to '{after}'")
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"{seconds:9.2f} s  {label} ({seconds / total:.0%})")


if __name__ == "__main__":
    main()
