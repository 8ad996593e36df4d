"""Where the demo's time goes: each phase, and the simulation's verbs, on a fraction of an org.

Usage:
    python benchmarks/demo_phases.py [--scale province] [--fraction 0.1] [--db FILE] [--profile-after]

Runs ``campaignflow demo`` (the same code: simulation, replay check, roll-up,
dashboard) over ``scaled_org(scale, fraction=...)`` and prints the seconds
between progress reports, then the seconds spent in each of the simulation's
verbs (fire_many, record_many, the weekly duties, the batched evidence reads), and the CPU
seconds of the whole run and of what follows the simulation (a sharded verify's
other process included). ``--profile-after`` prints a pyinstrument profile of what follows
the simulation (replay check, roll-up, duties, inboxes, dashboard). The whole
province takes many minutes; a tenth of it shows the same shares.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

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


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Run the demo on a fraction of the org; print the phases and the verbs."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="province", choices=("province", "national"))
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "demo-phases.db")
    parser.add_argument("--profile-after", action="store_true", help="profile what follows the simulation")
    args = parser.parse_args()
    whole = scaled.scaled_org
    scaled.scaled_org = lambda scale, *, seed=0, **_: whole(scale, seed=seed, fraction=args.fraction)
    verbs = (
        ("fire_all", "fire_many"),
        ("record", "record_many"),
        ("week", "weekly duties"),
        ("evidence_of", "evidence reads (records_many)"),
    )
    for name, label in verbs:
        _timed(simulation._Sim, name, label)  # noqa: SLF001 - the simulation's own verbs
    _timed(Run, "evidence", "run.evidence reads")
    marks: list[tuple[float, str]] = []
    after = [0.0]
    profile = Profiler() if args.profile_after else None

    def progress(phase: str, _done: int, _total: int) -> None:
        marks.append((time.perf_counter(), phase))
        if phase.startswith("replay check"):
            after[0] = _cpu()
            if profile is not None:
                profile.start()

    started, cpu = time.perf_counter(), _cpu()
    result = _demo.run_demo(seed=0, db=args.db, scale=args.scale, on_progress=progress)
    if profile is not None:
        profile.stop()
    marks.append((time.perf_counter(), "end"))
    total = time.perf_counter() - started
    print(f"{len(result.run.org):,} units, {result.steps:,} steps, {total:.1f} s, {result.rate:,.0f} steps/s")
    print(f"CPU {_cpu() - cpu:.1f} s, of which {_cpu() - after[0]:.1f} s after the simulation")
    print(result.timings())
    # The simulation reports a phase when it ends, the demo's later phases when they begin.
    for (at, phase), (until, after) in itertools.pairwise(marks):
        print(f"{until - at:9.2f} s  from '{phase}' to '{after}'")
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"{seconds:9.2f} s  {label} ({seconds / total:.0%})")
    if profile is not None:
        print(profile.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
