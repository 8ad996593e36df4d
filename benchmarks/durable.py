"""The durable batch rows of issue #24, best of a few, with their peers measured in the same run.

Usage:
    python benchmarks/durable.py [--pg URL] [--repeats 3] [--batch 10000] [--floor]

Prints, for SQLite and (with ``--pg``) PostgreSQL: a batch of ``fire_many``
over 10,000 units (no gate, as ``benchmarks/run.py``'s durable rows) and a
batch of ``record_many`` of 10,000 records, each against the raw driver
inserting the same encoded rows (sqlite3 in WAL; psycopg ``executemany``),
and the ratio. Each figure is the best of ``--repeats`` runs on fresh tables,
ours and the peer's alike, so that a busy machine disturbs both the least; on
SQLite the ratio of CPU time (this process's: the database works in it) is
printed too, which other work on the machine stretches much less than wall time.
``--floor`` first times the store's own SQLite statements of a batch of fires
(the log insert with its ``(unit, seq)`` index, the projection, the checkpoint,
the commit) on pre-built rows, without any of campaignflow's Python: the
ratio the schema allows before the run does anything. A store that writes a
batch of fires from its columns (``append_fires``: the SQL stores) has that
write's CPU time printed beside the batch's: the rest is the run's.
docs/explanation/performance.md records what these show.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import orjson
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.store import drop_schema
from campaignflow.store._bulk import insert_chunks
from campaignflow.store._sql import hot
from campaignflow.store.codec import canonical, chain_hash, step_to_dict


@attrs.frozen
class Doc:
    """The evidence of the record_many row."""

    n: int


def _campaign() -> cf.Campaign:
    c = cf.Campaign("bench-durable")
    c.stages("a", "b")
    c.evidence(Doc)
    c.transition("go", "a", "b")
    return c


Rate = tuple[float, float]
"""Rows per second, of wall time and of this process's CPU time."""


def _rate(n: int, wall: float, cpu: float) -> Rate:
    return n / wall, n / max(cpu, 1e-9)


STORE_CPU: list[float] = []
"""The CPU seconds of each fire_many's store write (``append_fires``), in the order measured."""


def _timed_write(store: object) -> None:
    """Time the store's columnar write of a batch (the SQL stores' ``append_fires``) into STORE_CPU."""
    write = store.append_fires  # type: ignore[attr-defined]

    def timed(*args: object) -> None:
        began = time.process_time()
        try:
            write(*args)
        finally:
            STORE_CPU.append(time.process_time() - began)

    store.append_fires = timed  # type: ignore[attr-defined]


def ours(url: str, units: list[str], work: str) -> tuple[Rate, list[str]]:
    """Steps per second of one batch through campaignflow, and the bodies it stored (for the peer)."""
    run = _campaign().start(units, store=url)
    actor = cf.Actor(id="bench")
    items = [(u, Doc(i)) for i, u in enumerate(units)]
    if work == "fire_many" and hasattr(run.store, "append_fires"):
        _timed_write(run.store)
    gc.collect()  # the set-up's garbage is not the batch's
    began, cpu = time.perf_counter(), time.process_time()
    if work == "fire_many":
        run.fire_many(units, "go", by=actor)
    else:
        run.record_many(items, by=actor)
    value = _rate(len(units), time.perf_counter() - began, time.process_time() - cpu)
    bodies = [canonical(step_to_dict(s)).decode() for u in units[:1000] for s in run.history(u)]
    return value, bodies


def _rows(units: list[str], bodies: list[str]) -> list[tuple[str, str, str]]:
    digest = chain_hash("", b"")
    return [(u, bodies[j % len(bodies)], digest) for j, u in enumerate(units)]


def raw_sqlite(path: Path, units: list[str], bodies: list[str]) -> Rate:
    """Rows per second of sqlite3 inserting the same rows in one WAL transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE steps (seq INTEGER PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
    rows = _rows(units, bodies)
    gc.collect()
    began, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN")
    db.executemany("INSERT INTO steps (unit, body, hash) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")
    value = _rate(len(units), time.perf_counter() - began, time.process_time() - cpu)
    db.close()
    return value


def raw_pg(url: str, units: list[str], bodies: list[str]) -> Rate:
    """Rows per second of psycopg executemany of the same rows, one transaction (its CPU: the server's
    is not this process's, so only wall time compares)."""
    import psycopg  # noqa: PLC0415 - only with --pg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute("DROP TABLE IF EXISTS raw_steps")
        db.execute("CREATE TABLE raw_steps (seq BIGSERIAL PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
        db.commit()
        rows = _rows(units, bodies)
        began, cpu = time.perf_counter(), time.process_time()
        with db.cursor() as cur:
            cur.executemany("INSERT INTO raw_steps (unit, body, hash) VALUES (%s, %s, %s)", rows)
        db.commit()
        return _rate(len(units), time.perf_counter() - began, time.process_time() - cpu)


def _parts(path: Path, units: list[str], body: str) -> dict[str, float]:
    """Seconds of each of the store's statements of a batch of fires, on pre-built rows."""
    cf_campaign = _campaign()
    cf_campaign.start(units, store=f"sqlite:///{path}").store.close()  # type: ignore[attr-defined]
    sql = hot("cf_", "sqlite")
    digest = chain_hash("", b"")
    steps = [(i + 1, u, "fire", body, "", digest) for i, u in enumerate(units)]
    rows = [(u, "b", 1, '{"blocked":null,"fired":["go"],"reworks":{}}', digest) for u in units]
    heads = orjson.dumps(sorted((u, digest) for u in units)).decode()
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-32768"):  # as the store's engine
        db.execute(f"PRAGMA {pragma}")
    times: dict[str, float] = {}
    gc.collect()
    began = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    cursor = db.cursor()
    for name, run in (  # as the store runs them: its inserts in multi-row statements
        ("steps", lambda: insert_chunks(cursor, sql["insert_steps"], steps)),
        ("units", lambda: insert_chunks(cursor, sql["insert_units"], rows)),
        ("checkpoint", lambda: db.execute(sql["insert_checkpoint"], (1, len(units), heads, digest))),
        ("commit", lambda: db.execute("COMMIT")),
    ):
        mark = time.perf_counter()
        run()
        times[name] = time.perf_counter() - mark
    times["all"] = time.perf_counter() - began
    db.close()
    return times


def floor(tmp: Path, units: list[str], repeats: int) -> None:
    """The store's own SQLite statements of a batch of fires (log with its index, projection,
    checkpoint, commit) on pre-built rows, without any Python of campaignflow, against the peer."""
    run = _campaign().start(["u0"])  # in memory: one real fire's body, for every row
    (step,) = run.fire_many(["u0"], "go", by=cf.Actor(id="bench")).fired
    body = canonical(step_to_dict(step)).decode()
    best: dict[str, float] = {}
    peer = 0.0
    for i in range(repeats):
        for name, seconds in _parts(tmp / f"floor{i}.db", units, body).items():
            best[name] = min(best.get(name, seconds), seconds)
        peer = max(peer, raw_sqlite(tmp / f"floor-raw{i}.db", units, [body])[0])
    parts = ", ".join(
        f"{name} {best[name] * 1000:.1f} ms" for name in ("steps", "units", "checkpoint", "commit")
    )
    rate = len(units) / best["all"]
    print(
        f"the store's SQLite statements alone: {parts}; {rate:,.0f} rows/s, {rate / peer:.2f}x the peer",
        flush=True,
    )


def _drop(url: str) -> None:
    drop_schema(url)  # every campaign's tables, the catalogue and the version table
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS raw_steps")
    engine.dispose()


def measure(
    name: str,
    repeats: int,
    one: Callable[[int], tuple[Rate, list[str]]],
    peer: Callable[[int, list[str]], Rate],
    *,
    cpu: bool,
    batch: int,
) -> None:
    """Best of ``repeats`` for ours and the peer, alternating, and the ratio (``cpu``: of CPU time too)."""
    mine: list[Rate] = []
    theirs: list[Rate] = []
    STORE_CPU.clear()
    for i in range(repeats):
        value, bodies = one(i)
        mine.append(value)
        theirs.append(peer(i, bodies))
    a, b = max(r[0] for r in mine), max(r[0] for r in theirs)
    line = f"{name:<36} {a:>9,.0f} steps/s  peer {b:>9,.0f} rows/s  {a / b:5.2f}x"
    if cpu:
        ca, cb = max(r[1] for r in mine), max(r[1] for r in theirs)
        line += f"   CPU: {ca:>9,.0f} / {cb:>9,.0f}  {ca / cb:5.2f}x"
    if STORE_CPU:  # what of the batch's CPU the store's write took (each the best of its runs)
        spent = batch / max(r[1] for r in mine)
        line += f"  store's write: {min(STORE_CPU) * 1000:.0f} of {spent * 1000:.0f} ms CPU"
    print(line, flush=True)


def main() -> None:
    """Measure the rows."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="a PostgreSQL URL (its campaignflow tables are dropped)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the store's SQLite statements alone, on pre-built rows",
    )
    args = parser.parse_args()
    units = [f"u{i}" for i in range(args.batch)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.floor:
            floor(Path(tmp), units, args.repeats)
        for work in ("fire_many", "record_many"):
            measure(
                f"{work} {args.batch:,} on SQLite",
                args.repeats,
                lambda i, w=work: ours(f"sqlite:///{Path(tmp) / f'{w}{i}.db'}", units, w),  # type: ignore[misc]
                lambda i, bodies, w=work: raw_sqlite(Path(tmp) / f"raw-{w}{i}.db", units, bodies),  # type: ignore[misc]
                cpu=True,
                batch=args.batch,
            )
            if args.pg:
                pg: str = args.pg

                def one(_: int, w: str = work, url: str = pg) -> tuple[Rate, list[str]]:
                    _drop(url)
                    return ours(url, units, w)

                measure(
                    f"{work} {args.batch:,} on PostgreSQL",
                    args.repeats,
                    one,
                    lambda _, bodies, url=pg: raw_pg(url, units, bodies),  # type: ignore[misc]
                    cpu=False,
                    batch=args.batch,
                )


if __name__ == "__main__":
    main()
