"""The durable batch rows of issue #24, best of a few, with their peers measured in the same run.

Usage:
    python benchmarks/durable.py [--pg URL] [--repeats 3] [--batch 10000]

Prints, for SQLite and (with ``--pg``) PostgreSQL: a batch of ``fire_many``
over 10,000 units (no gate, as ``benchmarks/run.py``'s durable rows) and a
batch of ``record_many`` of 10,000 records, each against the raw driver
inserting the same encoded rows (sqlite3 in WAL; psycopg ``executemany``),
and the ratio. Each figure is the best of ``--repeats`` runs on fresh tables,
ours and the peer's alike, so that a busy machine disturbs both the least.
docs/explanation/performance.md records what these show.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import sqlalchemy as sa

import campaignflow as cf
from campaignflow.store import drop_schema
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


def ours(url: str, units: list[str], work: str) -> tuple[float, list[str]]:
    """Steps per second of one batch through campaignflow, and the bodies it stored (for the peer)."""
    run = _campaign().start(units, store=url)
    actor = cf.Actor(id="bench")
    began = time.perf_counter()
    if work == "fire_many":
        run.fire_many(units, "go", by=actor)
    else:
        run.record_many([(u, Doc(i)) for i, u in enumerate(units)], by=actor)
    value = len(units) / (time.perf_counter() - began)
    bodies = [canonical(step_to_dict(s)).decode() for u in units[:1000] for s in run.history(u)]
    return value, bodies


def _rows(units: list[str], bodies: list[str]) -> list[tuple[str, str, str]]:
    digest = chain_hash("", b"")
    return [(u, bodies[j % len(bodies)], digest) for j, u in enumerate(units)]


def raw_sqlite(path: Path, units: list[str], bodies: list[str]) -> float:
    """Rows per second of sqlite3 inserting the same rows in one WAL transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE steps (seq INTEGER PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
    began = time.perf_counter()
    db.execute("BEGIN")
    db.executemany("INSERT INTO steps (unit, body, hash) VALUES (?, ?, ?)", _rows(units, bodies))
    db.execute("COMMIT")
    value = len(units) / (time.perf_counter() - began)
    db.close()
    return value


def raw_pg(url: str, units: list[str], bodies: list[str]) -> float:
    """Rows per second of psycopg executemany of the same rows, one transaction."""
    import psycopg  # noqa: PLC0415 - only with --pg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute("DROP TABLE IF EXISTS raw_steps")
        db.execute("CREATE TABLE raw_steps (seq BIGSERIAL PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
        db.commit()
        began = time.perf_counter()
        with db.cursor() as cur:
            cur.executemany(
                "INSERT INTO raw_steps (unit, body, hash) VALUES (%s, %s, %s)", _rows(units, bodies)
            )
        db.commit()
        return len(units) / (time.perf_counter() - began)


def _drop(url: str) -> None:
    drop_schema(url)  # every campaign's tables, the catalogue and the version table
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS raw_steps")
    engine.dispose()


def measure(
    name: str,
    repeats: int,
    one: Callable[[int], tuple[float, list[str]]],
    peer: Callable[[int, list[str]], float],
) -> None:
    """Best of ``repeats`` for ours and the peer, alternating, and the ratio."""
    mine: list[float] = []
    theirs: list[float] = []
    for i in range(repeats):
        value, bodies = one(i)
        mine.append(value)
        theirs.append(peer(i, bodies))
    a, b = max(mine), max(theirs)
    print(f"{name:<42} {a:>10,.0f} steps/s   peer {b:>10,.0f} rows/s   {a / b:5.2f}x", flush=True)


def main() -> None:
    """Measure the rows."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="a PostgreSQL URL (its campaignflow tables are dropped)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    units = [f"u{i}" for i in range(args.batch)]
    with tempfile.TemporaryDirectory() as tmp:
        for work in ("fire_many", "record_many"):
            measure(
                f"{work} {args.batch:,} on SQLite",
                args.repeats,
                lambda i, w=work: ours(f"sqlite:///{Path(tmp) / f'{w}{i}.db'}", units, w),  # type: ignore[misc]
                lambda i, bodies, w=work: raw_sqlite(Path(tmp) / f"raw-{w}{i}.db", units, bodies),  # type: ignore[misc]
            )
            if args.pg:
                pg: str = args.pg

                def one(_: int, w: str = work, url: str = pg) -> tuple[float, list[str]]:
                    _drop(url)
                    return ours(url, units, w)

                measure(
                    f"{work} {args.batch:,} on PostgreSQL",
                    args.repeats,
                    one,
                    lambda _, bodies, url=pg: raw_pg(url, units, bodies),  # type: ignore[misc]
                )


if __name__ == "__main__":
    main()
