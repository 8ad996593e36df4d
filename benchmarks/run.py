"""Benchmarks: campaignflow against its floor or peer, measured in the same run.

Usage:
    python benchmarks/run.py [--quick] [--json FILE]

Each figure is printed with the peer measured in the same process and the ratio
against it; only ratios are comparable across machines (this one is noisy:
±30-50 % between repeats).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from transitions import Machine

import campaignflow as cf
from campaignflow._codec import canonical, chain_hash, step_to_dict
from campaignflow.presets.scaled import scaled_org

RESULTS: list[dict[str, Any]] = []


@attrs.frozen
class Doc:
    n: int


def figure(name: str, value: float, unit: str, peer: float | None, target: float | None) -> None:
    """Record and print one figure: value, peer, ratio and whether the target is met."""
    ratio = value / peer if peer else None
    met = None if target is None or ratio is None else ratio >= target
    RESULTS.append(
        {
            "name": name,
            "value": value,
            "unit": unit,
            "peer_value": peer,
            "ratio": ratio,
            "target": target,
            "met": met,
        }
    )
    shown_ratio = f"{ratio:6.2f}x" if ratio is not None else "      -"
    shown_target = f"≥ {target:g}x" if target is not None else ""
    mark = {True: "met", False: "NOT met", None: ""}[met]
    peer_text = f"{peer or 0:14,.1f}"
    print(f"{name:42s} {value:14,.1f} {unit:10s} peer {peer_text}  {shown_ratio}  {shown_target:7s} {mark}")


def rate(n: int, fn: Callable[[], None]) -> float:
    """Operations per second of ``fn`` doing ``n`` operations."""
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def bench_fire(n: int) -> None:
    """A single fire with a 5-rule gate vs raw transitions with 5 plain conditions."""

    class Rec:
        __slots__ = ("docs", "state")

        def __init__(self) -> None:
            self.state = "a"
            self.docs = 3

    conds = [
        lambda e: e.model.docs >= 1,
        lambda e: e.model.docs >= 2,
        lambda e: e.model.docs >= 3,
        lambda e: e.model.docs > 0,
        lambda e: e.model.docs < 100,
    ]
    machine = Machine(
        model=None,
        states=["a", "b"],
        transitions=[{"trigger": "go", "source": "a", "dest": "b", "conditions": conds}],
        initial="a",
        auto_transitions=False,
        send_event=True,
    )
    records = [Rec() for _ in range(n)]
    event = machine.events["go"]
    raw = rate(n, lambda: [event.trigger(r) for r in records] and None)

    c = cf.Campaign("bench")
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
    units = [f"u{i}" for i in range(n)]
    actor = cf.Actor(id="bench")
    run = c.start(units, ids=cf.CountingIds())
    run.record_many([(u, Doc(1)) for u in units for _ in range(3)], by=actor)
    ours = rate(n, lambda: [run.fire(u, "go", by=actor) for u in units] and None)
    figure("fire, 5-rule gate, in memory", ours, "fires/s", raw, 0.8)

    run2 = c.start(units, ids=cf.CountingIds())
    run2.record_many([(u, Doc(1)) for u in units for _ in range(3)], by=actor)
    many = rate(n, lambda: run2.fire_many(units, "go", by=actor) and None)
    figure("fire_many, 5-rule gate, in memory", many, "fires/s", raw, 3.0)


def _ours(url: str, units: list[str], batch: int) -> tuple[float, list[str]]:
    """Durable fires through campaignflow; returns the rate and the encoded steps."""
    c = cf.Campaign("bench-db")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    actor = cf.Actor(id="bench")
    run = c.start(units, store=url)

    def ours() -> None:
        for i in range(0, len(units), batch):
            run.fire_many(units[i : i + batch], "go", by=actor)

    value = rate(len(units), ours)
    steps = [s for u in units[: min(batch, 1000)] for s in run.history(u)]
    return value, [canonical(step_to_dict(s)).decode() for s in steps]


def _rows(units: list[str], bodies: list[str], i: int, batch: int) -> list[tuple[str, str, str]]:
    digest = chain_hash("", b"")
    return [(units[j], bodies[j % len(bodies)], digest) for j in range(i, min(i + batch, len(units)))]


def bench_sqlite(batch: int, total: int) -> None:
    """Durable fires on SQLite vs raw sqlite3 WAL inserts of the same encoded rows."""
    units = [f"u{i}" for i in range(total)]
    with tempfile.TemporaryDirectory() as tmp:
        value, bodies = _ours(f"sqlite:///{Path(tmp) / 'bench.db'}", units, batch)
        db = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE steps (seq INTEGER PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")

        def raw() -> None:
            for i in range(0, total, batch):
                db.execute("BEGIN")
                db.executemany(
                    "INSERT INTO steps (unit, body, hash) VALUES (?, ?, ?)", _rows(units, bodies, i, batch)
                )
                db.execute("COMMIT")

        floor = rate(total, raw)
        db.close()
    target = 0.5 if batch >= 10_000 else None
    figure(f"durable fires on SQLite, batch {batch}", value, "steps/s", floor, target)


def bench_postgres(url: str, batch: int, total: int) -> None:
    """Durable fires on PostgreSQL vs raw psycopg executemany of the same encoded rows."""
    import psycopg  # noqa: PLC0415 - only with --pg
    import sqlalchemy as sa  # noqa: PLC0415

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "DROP TABLE IF EXISTS cf_meta, cf_steps, cf_units, cf_evidence, cf_checkpoints, raw_steps"
        )
    engine.dispose()
    units = [f"u{i}" for i in range(total)]
    value, bodies = _ours(url, units, batch)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as db:
        db.execute("CREATE TABLE raw_steps (seq BIGSERIAL PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
        db.commit()

        def raw() -> None:
            for i in range(0, total, batch):
                with db.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO raw_steps (unit, body, hash) VALUES (%s, %s, %s)",
                        _rows(units, bodies, i, batch),
                    )
                db.commit()

        floor = rate(total, raw)
    target = 0.5 if batch >= 10_000 else None
    figure(f"durable fires on PostgreSQL, batch {batch}", value, "steps/s", floor, target)


def bench_start(fractions: list[float]) -> None:
    """Starting a run over national-shaped orgs of growing size: time, growth, memory per unit."""
    c = cf.Campaign("bench-start")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    previous: float | None = None
    for fraction in fractions:
        org = scaled_org("national", fraction=fraction, leaders=0)
        tracemalloc.start()
        start = time.perf_counter()
        run = c.start(org)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        units = len(org)
        figure(f"start a run over {units:,} units", seconds, "s", previous, None)
        figure(f"run memory per unit ({units:,} units)", peak / units, "bytes", None, None)
        previous = seconds
        start = time.perf_counter()
        run.progress()
        figure(
            f"progress() of the root ({units:,} units)",
            (time.perf_counter() - start) * 1000,
            "ms",
            None,
            None,
        )


def main() -> None:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON objects to FILE")
    parser.add_argument(
        "--pg", metavar="URL", help="also measure PostgreSQL at this SQLAlchemy URL (its tables are dropped)"
    )
    args = parser.parse_args()
    n = 2_000 if args.quick else 10_000
    print(f"campaignflow {cf.__version__}, pid {os.getpid()}, quick={args.quick}")
    bench_fire(n)
    for batch in (1, 100, 10_000):
        bench_sqlite(batch, min(n, 500) if batch == 1 else (n if batch < 10_000 else 10_000))
        if args.pg:
            bench_postgres(args.pg, batch, min(n, 500) if batch == 1 else (n if batch < 10_000 else 10_000))
    bench_start([0.0625, 0.125] if args.quick else [0.125, 0.25, 0.5, 1.0])
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    if args.json:
        args.json.write_text("\n".join(json.dumps(r) for r in RESULTS) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
