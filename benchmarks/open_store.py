"""How long opening a stored run takes (projection, no replay), and verifying it (full replay).

Usage:
    python benchmarks/open_store.py [--fraction 0.1]

Builds a national-shaped org (``--fraction`` of 640,000 units), starts a run on
SQLite, moves every unit once (``fire_many`` in batches of 10,000), then times
``campaign.open`` (reads the projection) and ``campaign.verify`` (replays the log).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import campaignflow as cf
from campaignflow.presets.scaled import scaled_org


def main() -> None:
    """Build, write, open and verify; print the timings."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fraction", type=float, default=0.1)
    args = parser.parse_args()
    c = cf.Campaign("open-bench")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    org = scaled_org("national", fraction=args.fraction, leaders=0)
    units = list(org)
    actor = cf.Actor(id="bench")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'open.db'}"
        start = time.perf_counter()
        run = c.start(org, store=url)
        for i in range(0, len(units), 10_000):
            run.fire_many(units[i : i + 10_000], "go", by=actor)
        write = time.perf_counter() - start
        start = time.perf_counter()
        again = c.open(org, url)
        opened = time.perf_counter() - start
        if again.progress().by_stage["b"] != len(units):
            raise SystemExit("the reopened run disagrees with what was written")
        start = time.perf_counter()
        report = c.verify(org, url)
        verified = time.perf_counter() - start
    print(
        f"units {len(units):,}: write {write:.1f} s, open {opened:.2f} s, "
        f"verify {verified:.1f} s, ok={report.ok}"
    )


if __name__ == "__main__":
    main()
