"""Benchmark: ``run.awaiting()`` and ``run.next_actions()`` at national scale, beside the scan they replace.

Usage:
    python benchmarks/inbox.py [--scale national|province] [--sample N]

Builds the mass-line campaign over the synthetic org (641,801 units at national
scale) in memory, moves one township's chain (nation, county, township) through
mobilisation and records its villages' meetings, then times:

- ``awaiting()`` of that township's principal (scope: the township), and of a
  supervisor with no scope (only the units its group supervises are read);
- ``next_actions()`` per call;
- the scan ``awaiting()`` replaces: judging every unit's next actions for the same
  actor; timed over ``--sample`` units (org order) and extrapolated to the whole
  org, since a full scan at national scale takes minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import campaignflow as cf
from campaignflow.presets import mass_line
from campaignflow.presets.mass_line.evidence import MobilisationMeeting
from campaignflow.presets.scaled import scaled_org


def ms(fn: Callable[[], object], repeats: int = 7) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["national", "province"], default="national")
    parser.add_argument("--sample", type=int, default=20_000, help="units the scan is timed over")
    args = parser.parse_args()
    start = time.perf_counter()
    org = scaled_org(args.scale)
    c = mass_line.campaign()
    run = c.start(org)
    print(f"org of {len(org):,} units and run built in {time.perf_counter() - start:.1f} s")
    office = cf.Actor(id="office", roles={"office"})
    township = next(u for u in org.units_ordered() if org.level(u) == "township")
    chain = [*reversed(org.ancestors(township)), township]
    for unit in chain:
        run.record(unit, MobilisationMeeting(chaired_by="书记", attendees=30), by=office)
        run.fire(unit, "mobilise", by=office)
    villages = org.children(township)
    run.record_many([(v, MobilisationMeeting(chaired_by="书记", attendees=30)) for v in villages], by=office)
    clerk = cf.Actor(id="clerk", roles={"principal"}, scope={township})
    items = run.awaiting(clerk)
    print(f"township {township!r}: {len(villages)} villages, {len(items)} items in its principal's inbox")
    assert len(items) >= len(villages), items  # noqa: S101 - the benchmark measures a real inbox

    inbox = ms(lambda: run.awaiting(clerk))
    print(f"awaiting() of a township-scoped actor: {inbox:.2f} ms (target <= 50 ms)")
    group = next(iter(org.groups()), None)
    if group is not None:
        member = next(iter(org.people(group)), None)
        if member is not None:
            sup = cf.Actor(id=member, roles={"supervisor"})
            print(
                f"awaiting() of an unscoped supervisor ({len(org.supervised(group))} units supervised): "
                f"{ms(lambda: run.awaiting(sup)):.2f} ms"
            )
    village = villages[0]
    per_call = ms(lambda: [run.next_actions(village, by=clerk) for _ in range(1_000)], repeats=3)
    print(f"next_actions() per call: {per_call:.1f} µs (1,000 calls: {per_call:.1f} ms)")
    sample = org.units_ordered()[: args.sample]

    def scan() -> None:
        for unit in sample:
            run.next_actions(unit, by=clerk)

    scanned = ms(scan, repeats=1)
    whole = scanned * len(org) / len(sample)
    print(
        f"the scan it replaces (next_actions of every unit): {scanned:.0f} ms over {len(sample):,} units, "
        f"~{whole / 1000:.1f} s for {len(org):,} units; awaiting() is {whole / inbox:,.0f} x faster"
    )


if __name__ == "__main__":
    main()
