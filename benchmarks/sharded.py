"""The national demo on PostgreSQL, sharded by province: slices of the national org, 1 and 2 workers.

Usage:
    bash scripts/pg.sh start /tmp/pg-shard      # prints the URL
    python benchmarks/sharded.py --pg URL [--provinces 1,2,4] [--workers 1,2] [--repeats 1]

For each slice (the first N subtrees under the root of ``scaled_org("national")``,
each unchanged: about 227 units) and each worker count, the campaign is started
on fresh tables and simulated by a coordinator (this process: the root) and
that many worker processes (``shards.simulate_sharded``). A row ``one`` is the
same simulation in this process alone, with no shards (``simulate(org,
store=URL, dice=PerUnitDice(seed))``): what the sharding machinery costs.

Prints per run: units, steps, wall seconds, steps/s; per worker its CPU
seconds, steps per CPU-second and seconds spent waiting at barriers; and the
database server's own CPU seconds (its processes in /proc: the postmaster's
and its exited children's), the WAL it wrote and its commits (pg_stat_database),
per 1,000 steps. Figures that survive a busy machine: CPU per step, client's
and server's, rather than wall time. docs/explanation/performance.md records
what these show.
"""

from __future__ import annotations

import argparse
import functools
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import sqlalchemy as sa

from campaignflow.presets.mass_line import shards
from campaignflow.presets.mass_line.dice import PerUnitDice
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.scaled import scaled_org
from campaignflow.store import drop_schema

TICK = os.sysconf("SC_CLK_TCK")


@attrs.frozen
class Server:
    """What the database server spent between two readings."""

    cpu: float
    wal: int
    commits: int
    waits: str


def _postmaster(engine: sa.Engine) -> int | None:
    """The server's postmaster pid, from its data directory (None: not on this host, or not readable)."""
    with engine.connect() as conn:
        data = conn.execute(sa.text("SHOW data_directory")).scalar()
    try:
        return int(Path(str(data), "postmaster.pid").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the postmaster, its exited children and its live ones (0 when unknown)."""
    if postmaster is None:
        return 0.0
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while being read
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def _wal_and_commits(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        wal = conn.execute(sa.text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar()
        commits = conn.execute(
            sa.text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        ).scalar()
    return int(wal or 0), int(commits or 0)


WAITS = sa.text(
    "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'), left(query, 70) FROM pg_stat_activity "
    "WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
)


class Sampler(threading.Thread):
    """What the server's active backends wait on, every 50 ms (CPU: not waiting; Lock:*: locks)."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(daemon=True)
        self.engine = engine
        self.seen: Counter[str] = Counter()
        self.locked: Counter[str] = Counter()  # the statements that waited on a lock
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.wait(0.05):
                self.samples += 1
                for wait, query in conn.execute(WAITS):
                    self.seen[wait] += 1
                    if wait.startswith("Lock:"):
                        self.locked[query] += 1
                conn.rollback()  # a fresh snapshot of pg_stat_activity next time

    def summary(self) -> str:
        busy = sum(self.seen.values())
        shares = (
            ", ".join(f"{k} {100 * n / busy:.0f} %" for k, n in self.seen.most_common(5)) if busy else "-"
        )
        locked = "; ".join(f"{n}x {q!r}" for q, n in self.locked.most_common(3))
        return (
            f"{self.samples} samples, {busy / max(1, self.samples):.2f} active backends on average: {shares}"
            + (f"; waiting on a lock: {locked}" if locked else "")
        )


@contextmanager
def measured(engine: sa.Engine, postmaster: int | None) -> Iterator[list[Server]]:
    """The server's CPU, WAL bytes and commits during the block (appended to the yielded list)."""
    found: list[Server] = []
    cpu = _server_cpu(postmaster)
    wal, commits = _wal_and_commits(engine)
    sampler = Sampler(engine)
    sampler.start()
    yield found
    sampler.stop.set()
    sampler.join()
    # pg_stat_database is flushed by each backend on exit or about every second: let it settle.
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))
    wal2, commits2 = _wal_and_commits(engine)
    spent = _server_cpu(postmaster) - cpu
    found.append(Server(cpu=spent, wal=wal2 - wal, commits=commits2 - commits, waits=sampler.summary()))


def one_process(url: str, provinces: int, seed: int) -> tuple[int, int, float, float]:
    """The slice simulated here alone (no shards): units, steps, wall, CPU."""
    org = scaled_org("national", provinces=provinces)
    wall, cpu = time.perf_counter(), time.process_time()
    sim = simulate(org, store=url, seed=seed, dice=PerUnitDice(seed))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(org), sum(sim.run.state(u).version for u in org), wall, cpu


def main() -> None:
    """Run every slice with every worker count; print one block per run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", required=True, help="PostgreSQL URL (its cf_ tables are dropped)")
    parser.add_argument("--provinces", default="1,2,4")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-one", action="store_true", help="skip the one-process row")
    args = parser.parse_args()
    engine = sa.create_engine(args.pg)
    postmaster = _postmaster(engine)
    print(f"cores: {os.cpu_count()}; server pid {postmaster} (CPU read from /proc: same host)")
    header = (
        f"{'prov':>4} {'units':>6} {'workers':>7} {'steps':>8} {'wall s':>7} {'steps/s':>8} "
        f"{'client CPU s':>12} {'steps/CPU-s':>11} {'wait s':>6} {'server CPU s':>12} "
        f"{'srv ms/1k':>9} {'WAL B/step':>10} {'commits':>7}"
    )
    print(header)
    for provinces in (int(p) for p in args.provinces.split(",")):
        plans: list[int] = [] if args.no_one else [0]
        plans += [int(w) for w in args.workers.split(",") if int(w) <= provinces]
        for _ in range(args.repeats):
            for workers in plans:
                drop_schema(args.pg)
                with measured(engine, postmaster) as server:
                    started = time.perf_counter()
                    if workers == 0:
                        units, steps, wall, cpu = one_process(args.pg, provinces, args.seed)
                        per = [("one", units, steps, wall, cpu, 0.0)]
                        client = cpu
                    else:
                        done = shards.simulate_sharded(
                            functools.partial(scaled_org, "national", provinces=provinces),
                            args.pg,
                            workers=workers,
                            seed=args.seed,
                        )
                        wall = time.perf_counter() - started
                        units = sum(r.units for r in done.reports)
                        steps = sum(r.steps for r in done.reports)
                        client = sum(r.cpu for r in done.reports)
                        per = [(r.shard, r.units, r.steps, r.wall, r.cpu, r.waited) for r in done.reports]
                s = server[0]
                label = "one" if workers == 0 else str(workers)
                print(
                    f"{provinces:>4} {units:>6} {label:>7} {steps:>8,} {wall:>7.1f} {steps / wall:>8,.0f} "
                    f"{client:>12.1f} {steps / client:>11,.0f} {'':>6} {s.cpu:>12.1f} "
                    f"{1000 * s.cpu / steps * 1000:>9.0f} {s.wal / steps:>10,.0f} {s.commits:>7,}"
                )
                for name, n, done_steps, spent, used, waited in per:
                    rate = done_steps / used if used else 0.0
                    print(
                        f"{'':>4} {n:>6} {name:>7} {done_steps:>8,} {spent:>7.1f} {'':>8} "
                        f"{used:>12.1f} {rate:>11,.0f} {waited:>6.1f}"
                    )
                print(f"{'':>12}server backends: {s.waits}", flush=True)


if __name__ == "__main__":
    main()
