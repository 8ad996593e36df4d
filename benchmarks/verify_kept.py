"""The replay check alone, on a store the demo kept: CPU of every process of the verify, and wall.

Usage:
    python benchmarks/demo_phases.py --fraction 0.1 --db /tmp/p10.db   # once: the store
    python benchmarks/verify_kept.py --fraction 0.1 --db /tmp/p10.db [--processes 2] [--profile]

Runs ``campaign.verify(org, store, processes=N)`` as the demo's replay check
does (an SQLite log of 100,000 steps or more is verified in shards, forked), and
prints its report, the CPU seconds of this process and its forked shards, the
wall seconds and the peak RSS. ``--profile`` prints a pyinstrument profile
(of this process only: with ``--processes 1`` that is the whole verify).
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from pathlib import Path

from pyinstrument import Profiler

from campaignflow.presets.mass_line import campaign as mass_line_campaign
from campaignflow.presets.scaled import scaled_org
from campaignflow.store import open_store


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and its finished children, and of this process."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own = mine.ru_utime + mine.ru_stime
    return own + children.ru_utime + children.ru_stime, own


def main() -> None:
    """Verify the kept store once; print the report and what it cost."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="province", choices=("province", "national"))
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    org = scaled_org(args.scale, seed=0, fraction=args.fraction)
    campaign = mass_line_campaign()
    store = open_store(f"sqlite:///{args.db}", evidence_types=campaign.build().evidence_types)
    profile = Profiler() if args.profile else None
    gc.collect()
    (cpu, own), started = _cpu(), time.perf_counter()
    if profile is not None:
        profile.start()
    report = campaign.verify(org, store, processes=args.processes)
    if profile is not None:
        profile.stop()
    (cpu_after, own_after), wall = _cpu(), time.perf_counter() - started
    print(f"ok={report.ok} steps={report.steps:,} problem={report.problem!r}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"CPU {cpu_after - cpu:.2f} s (this process {own_after - own:.2f} s), wall {wall:.2f} s, "
        f"{(cpu_after - cpu) / max(report.steps, 1) * 1e6:.1f} µs a step, peak RSS {peak:.0f} MB"
    )
    if profile is not None:
        print(profile.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()
