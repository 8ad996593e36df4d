"""The mass-line simulation sharded by province across hosts: one database, a coordinator, N workers.

Each command builds the same org (the first PROVINCES subtrees of the national
org; every host builds it alike) and meets the others only in the database:

    python examples/sharded_hosts.py start      URL --workers 2   # once (drops URL's cf_ tables)
    python examples/sharded_hosts.py work       URL 0             # on host A
    python examples/sharded_hosts.py work       URL 1             # on host B
    python examples/sharded_hosts.py coordinate URL               # anywhere: the root, then the totals

URL: postgresql+psycopg://user@host/db (SQLite works on one host, one writer at a time).
The workers may start before ``start``: they wait for it (up to ``--timeout`` seconds).
"""

from __future__ import annotations

import argparse
import sys

from campaignflow.presets.mass_line import shards
from campaignflow.presets.scaled import scaled_org
from campaignflow.store import drop_schema


def main(argv: list[str] | None = None) -> int:
    """Run one command; print what it did. Returns the exit status."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("start", "work", "coordinate"))
    parser.add_argument("url")
    parser.add_argument("number", nargs="?", type=int, default=0, help="the worker's number (work)")
    parser.add_argument("--workers", type=int, default=2, help="workers in the plan (start)")
    parser.add_argument("--provinces", type=int, default=4, help="subtrees of the national org")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=shards.TIMEOUT)
    args = parser.parse_args(argv)
    org = scaled_org("national", provinces=args.provinces)
    if args.command == "start":
        drop_schema(args.url)
        split = shards.start(org, args.url, workers=args.workers, seed=args.seed)
        print(f"started {len(org)} units; provinces per worker: {[len(group) for group in split]}")
    elif args.command == "work":
        r = shards.work(org, args.url, args.number, timeout=args.timeout)
        print(
            f"worker {r.shard}: {r.units} units, {r.steps} steps, CPU {r.cpu:.1f} s, waited {r.waited:.1f} s"
        )
    else:
        done = shards.coordinate(org, args.url, timeout=args.timeout)
        closed = done.run.progress().by_stage["close"]
        print(f"{closed} of {len(org)} units closed; {done.refused} refusals, {done.sent_back} send-backs")
        for r in done.reports:
            rate = r.steps / max(r.cpu, 1e-9)
            print(f"  {r.shard}: {r.units} units, {r.steps} steps, {rate:,.0f} steps/CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
