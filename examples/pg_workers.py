"""Several worker processes advancing units of one campaign on one PostgreSQL database.

Each worker opens the run (a read of the projection), then records and fires on
the units it is given; units shared by two workers are serialised by the
optimistic version check and `cf.retry`. This is how a campaign outgrows one
machine: run the same workers on several hosts against the same database.

Run: python examples/pg_workers.py postgresql+psycopg://user@host/db [workers]
     (the database's cf_ tables are dropped first, with campaignflow.store.drop_schema)
"""

from __future__ import annotations

import multiprocessing
import sys

import campaignflow as cf
from campaignflow.presets import safety
from campaignflow.store import drop_schema

UNITS = [f"plant-{i:02d}" for i in range(12)]


def worker(url: str, units: list[str], name: str) -> int:
    """Brief, start and inspect each unit; return how many it moved."""
    run = safety.campaign().open(UNITS, url)
    me = cf.Actor(id=name, roles={"secretary", "inspector"})
    moved = 0
    for unit in units:
        cf.retry(run, lambda u=unit: run.record(u, safety.Briefing(attendees=5), by=me), attempts=20)
        try:
            cf.retry(run, lambda u=unit: run.fire(u, "start", by=me), attempts=20)
            moved += 1
        except cf.InvalidTransition:
            pass  # another worker started it first
    return moved


def main(url: str, workers: int = 4) -> cf.Run:
    """Reset, start the run, let the workers loose on overlapping slices, and verify."""
    drop_schema(url)
    campaign = safety.campaign()
    campaign.start(UNITS, store=url)
    # Overlapping slices: every unit is given to two workers.
    slices = [UNITS[i * 3 : i * 3 + 6] + UNITS[: max(0, i * 3 + 6 - len(UNITS))] for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        moved = pool.starmap(worker, [(url, s, f"worker-{n}") for n, s in enumerate(slices)])
    run = campaign.open(UNITS, url)
    report = campaign.verify(UNITS, url)
    stages = dict(run.progress().by_stage)
    print(f"moved {sum(moved)} units across {workers} workers; stages {stages}; verify ok={report.ok}")
    return run


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4)
