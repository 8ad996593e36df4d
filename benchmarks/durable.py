"""The durable batch rows of issue #24, best of a few, with their peers measured in the same run.

Usage:
    python benchmarks/durable.py [--pg URL] [--repeats 3] [--batch 10000] [--floor] [--page-size N]
    python benchmarks/durable.py --costs [--batches 4] [--repeats 5] [--batch 10000] [--units N]
        [--variant TEXT ...]

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
``--costs`` times the same statements statement by statement for the store's
schema and pragmas and for variants of them (an index left out, a table
clustered on its key, another page size or pragma: ``VARIANTS``), over
``--batches`` batches on one database (the first inserts the projection's rows,
later ones update them; ``--units``: the log grows over more units than a
batch), alternated, best of ``--repeats``, and prints each beside the raw
peer's batch. ``--page-size`` gives the store's new files another page size
(a setting it does not take), to A/B it on the real batch.
docs/explanation/performance.md records what these show.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    store_pragmas(db)
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


def _fire_body() -> str:
    """One real fire's body (in memory), for every pre-built row."""
    run = _campaign().start(["u0"])
    (step,) = run.fire_many(["u0"], "go", by=cf.Actor(id="bench")).fired
    return canonical(step_to_dict(step)).decode()


def floor(tmp: Path, units: list[str], repeats: int) -> None:
    """The store's own SQLite statements of a batch of fires (log with its index, projection,
    checkpoint, commit) on pre-built rows, without any Python of campaignflow, against the peer."""
    body = _fire_body()
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


STORE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-32768")  # as the store's engine


CHECKPOINT_BYTES = 4096 * 1000  # SQLite's default WAL checkpoint: 1,000 pages of 4,096


def page_pragmas(page_size: int) -> tuple[str, ...]:
    """A page size for a new file, with the WAL checkpointed at SQLite's default size in bytes
    (at 1,000 larger pages a batch's commit would skip a checkpoint it is due: deferred, not saved)."""
    return f"page_size={page_size}", f"wal_autocheckpoint={CHECKPOINT_BYTES // page_size}"


def store_pragmas(db: sqlite3.Connection, *, page_size: int | None = None) -> None:
    """Set on ``db`` the pragmas of the store's engines (``store._sqlite_lock``); ``page_size``
    (a variant's) for a new file, set before the WAL is."""
    if page_size is not None:
        db.execute(f"PRAGMA {page_pragmas(page_size)[0]}")
    for pragma in STORE_PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    if page_size is not None:
        db.execute(f"PRAGMA {page_pragmas(page_size)[1]}")


def _ddl(path: Path) -> list[str]:
    """The store's own DDL of a campaign's tables, as ``start()`` created it in a fresh file."""
    _campaign().start(["x"], store=f"sqlite:///{path}").store.close()  # type: ignore[attr-defined]
    db = sqlite3.connect(path)
    found = [str(sql) for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
    db.close()
    return found


def _without_rowid(table: str, key: str | None = None) -> Callable[[str], str]:
    """A DDL edit: ``table`` clustered on its primary key (``key``: another one), WITHOUT ROWID."""

    def edit(sql: str) -> str:
        if not sql.startswith(f"CREATE TABLE {table} "):
            return sql
        if key is not None:
            sql = sql.replace("PRIMARY KEY (seq)", f"PRIMARY KEY ({key})")
        return sql + " WITHOUT ROWID"

    return edit


def _no_index(name: str, instead: str | None = None) -> Callable[[str], str]:
    """A DDL edit: the index ``name`` left out (or replaced by the statement ``instead``)."""
    return lambda sql: (instead or "") if sql.startswith(f"CREATE INDEX {name} ") else sql


def _same(sql: str) -> str:
    return sql


VARIANTS: dict[str, tuple[tuple[str, ...], Callable[[str], str]]] = {
    # name: (pragmas after the store's, or a page size for the new file; a DDL edit). Each
    # measures one cost of the store's batch.
    "the store's schema": ((), _same),
    "the store's schema again (the noise)": ((), _same),
    "log without its (unit, seq) index": ((), _no_index("cf_steps_unit_seq")),
    "log index on (unit): seq is the rowid": (
        (),
        _no_index("cf_steps_unit_seq", "CREATE INDEX cf_steps_unit_seq ON cf_steps (unit)"),
    ),
    "log clustered on (unit, seq)": (
        (),
        lambda sql: _no_index("cf_steps_unit_seq", "CREATE INDEX cf_steps_seq ON cf_steps (seq)")(
            _without_rowid("cf_steps", "unit, seq")(sql)
        ),
    ),
    "projection WITHOUT ROWID": ((), _without_rowid("cf_units")),
    "evidence WITHOUT ROWID": ((), _without_rowid("cf_evidence")),
    "evidence without its (unit, kind, live) index": ((), _no_index("cf_evidence_unit_kind")),
    "synchronous=FULL": (("synchronous=FULL",), _same),
    "synchronous=OFF (not durable)": (("synchronous=OFF",), _same),
    "cache_size 2 MiB (SQLite's default)": (("cache_size=-2000",), _same),
    "page_size 8192": (("page_size=8192",), _same),
    "page_size 16384": (("page_size=16384",), _same),
    "wal_autocheckpoint 10,000 (checkpoint deferred)": (("wal_autocheckpoint=10000",), _same),
    "mmap_size 256 MiB": (("mmap_size=268435456",), _same),
}
"""The variants ``--costs`` times against the store's own schema and pragmas."""

PARTS = ("steps", "units", "checkpoint", "commit", "evidence")


def _batch_parts(
    db: sqlite3.Connection, j: int, n: int, body: str, versions: dict[str, int]
) -> dict[str, float]:
    """Seconds of each statement of batch ``j`` over ``n`` units (the next ``n`` of the
    ``len(versions)`` held, in turn; ``versions``: each one's fires so far, updated), and its CPU;
    then, apart (a records batch's own), the evidence index's insert of ``n`` records."""
    sql = hot("cf_", "sqlite")
    digest = chain_hash("", b"")
    held = len(versions)
    units = [f"u{(j * n + i) % held}" for i in range(n)]
    steps = [
        (j * n + i + 1, u, "fire", body, digest if versions[u] else "", digest) for i, u in enumerate(units)
    ]
    projection = '{"blocked":null,"fired":["go"],"reworks":{}}'
    rows = [(u, "b", versions[u] + 1, projection, digest) for u in units]
    fresh = [r for r in rows if r[2] == 1]
    moved = [(*r[1:5], r[0], r[2] - 1) for r in rows if r[2] > 1]
    for u in units:
        versions[u] += 1
    heads = orjson.dumps([(u, digest) for u in sorted(units)]).decode()
    evidence = [(uuid.uuid4().hex, u, "Doc", j * n + i + 1, True) for i, u in enumerate(units)]
    cursor = db.cursor()

    def projection_rows() -> None:
        # Units' first rows, then their updates one statement per row (as the store).
        insert_chunks(cursor, sql["insert_units"], fresh)
        cursor.executemany(sql["update_units"], moved)

    times: dict[str, float] = {}
    cpu = time.process_time()
    db.execute("BEGIN IMMEDIATE")
    for name, run in (
        ("steps", lambda: insert_chunks(cursor, sql["insert_steps"], steps)),
        ("units", projection_rows),
        ("checkpoint", lambda: db.execute(sql["insert_checkpoint"], (j * n + 1, (j + 1) * n, heads, digest))),
        ("commit", lambda: db.execute("COMMIT")),
    ):
        mark = time.perf_counter()
        run()
        times[name] = time.perf_counter() - mark
    times["cpu"] = time.process_time() - cpu
    mark = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    insert_chunks(cursor, sql["insert_evidence"], evidence)
    db.execute("COMMIT")
    times["evidence"] = time.perf_counter() - mark
    return times


def _variant(
    path: Path, ddl: list[str], name: str, *, n: int, batches: int, body: str, held: int
) -> list[dict[str, float]]:
    """Each batch's statement times on a fresh database of variant ``name`` (``held`` units)."""
    pragmas, edit = VARIANTS[name]
    db = sqlite3.connect(path, isolation_level=None)
    sizes = [int(p.split("=")[1]) for p in pragmas if p.startswith("page_size=")]
    store_pragmas(db, page_size=sizes[0] if sizes else None)  # the WAL checkpointed at the same size
    for pragma in pragmas:
        if not pragma.startswith("page_size="):
            db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN")
    for statement in filter(None, map(edit, ddl)):
        db.execute(statement)
    db.execute("COMMIT")
    gc.collect()
    versions = dict.fromkeys((f"u{i}" for i in range(max(held, n))), 0)
    found = [_batch_parts(db, j, n, body, versions) for j in range(batches)]
    db.close()
    return found


def _peer_batch(path: Path, n: int, body: str, batches: int, page_size: int | None = None) -> float:
    """The raw peer's CPU seconds for a batch (its best), ``batches`` on one database (``page_size``:
    the peer given the store's page size and checkpoint size, not SQLite's defaults)."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in page_pragmas(page_size) if page_size is not None else ():
        db.execute(f"PRAGMA {pragma}")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE steps (seq INTEGER PRIMARY KEY, unit TEXT, body TEXT, hash TEXT)")
    rows = _rows([f"u{i}" for i in range(n)], [body])
    best = float("inf")
    for _ in range(batches):
        cpu = time.process_time()
        db.execute("BEGIN")
        db.executemany("INSERT INTO steps (unit, body, hash) VALUES (?, ?, ?)", rows)
        db.execute("COMMIT")
        best = min(best, time.process_time() - cpu)
    db.close()
    return best


def costs(  # noqa: PLR0917 - the command line's arguments, in its order
    tmp: Path, units: list[str], repeats: int, batches: int, body: str, names: list[str], held: int = 0
) -> None:
    """Per statement, the store's batch of fires on its schema and on each variant (``VARIANTS``).

    Variants alternate within each round, so that the machine's load falls on all
    alike; each figure is its best over the rounds: wall ms of each statement in
    the first batch (the projection's rows inserted) and the median of the later
    ones (updated once each unit had a row; ``held`` units: the log grows over
    more of them, each batch the next ``n`` in turn), CPU ms of the whole batch,
    and the evidence index's insert of a records batch of as many rows (apart: not
    part of a fire's batch).
    """
    ddl = _ddl(tmp / "ddl.db")
    n = len(units)
    first: dict[str, dict[str, float]] = {}
    later: dict[str, dict[str, float]] = {}
    peer = tuned = float("inf")
    for r in range(repeats):
        peer = min(peer, _peer_batch(tmp / f"peer{r}.db", n, body, batches))
        tuned = min(tuned, _peer_batch(tmp / f"tuned{r}.db", n, body, batches, 8192))
        for k, name in enumerate(names):
            found = _variant(tmp / f"v{r}-{k}.db", ddl, name, n=n, batches=batches, body=body, held=held)
            (tmp / f"v{r}-{k}.db").unlink()  # a grown log is large
            for wal in tmp.glob(f"v{r}-{k}.db-*"):
                wal.unlink()
            rest = found[1:] or found
            for into, value in (
                (first, found[0]),
                (later, {p: statistics.median(b[p] for b in rest) for p in (*PARTS, "cpu")}),
            ):
                best = into.setdefault(name, value)
                for p in value:
                    best[p] = min(best[p], value[p])
    print(
        f"{n:,} fires a batch over {max(held, n):,} units, {batches} batches a database, best of {repeats}; "
        "the raw peer's batch: "
        f"{peer * 1000:.1f} ms CPU ({tuned * 1000:.1f} at page_size 8192)",
        flush=True,
    )
    print(f"{'':44} {'first batch (wall ms)':>43} | {'later batches, median (wall ms)':>43} | evidence")
    head = " ".join(f"{p:>6}" for p in (*PARTS[:4], "CPU"))
    print(f"{'variant':44} {head}  {'×peer':>5} | {head}  {'×peer':>5} | {'first':>5} {'later':>5}")
    for name in names:
        a, b = first[name], later[name]
        cells = [
            " ".join(f"{x[p] * 1000:6.{2 if n < 1000 else 1}f}" for p in (*PARTS[:4], "cpu"))
            + f"  {peer / x['cpu']:5.2f}"
            for x in (a, b)
        ]
        print(
            f"{name:44} {cells[0]} | {cells[1]} | {a['evidence'] * 1000:5.1f} {b['evidence'] * 1000:5.1f}",
            flush=True,
        )


def _store_page_size(size: int) -> None:
    """Every SQLite connection opened from now on creates new files at ``size`` (before the store's
    engine sets WAL), its WAL checkpointed at SQLite's default size in bytes."""
    first, checkpoint = page_pragmas(size)

    def before(dbapi: Any, _: Any) -> None:
        if isinstance(dbapi, sqlite3.Connection):
            dbapi.execute(f"PRAGMA {first}")

    def after(dbapi: Any, _: Any) -> None:
        if isinstance(dbapi, sqlite3.Connection):
            dbapi.execute(f"PRAGMA {checkpoint}")

    sa.event.listen(sa.pool.Pool, "connect", before, insert=True)
    sa.event.listen(sa.pool.Pool, "connect", after)


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
        "--costs",
        action="store_true",
        help="only time the store's SQLite statements per schema and pragma variant",
    )
    parser.add_argument("--batches", type=int, default=4, help="batches per database for --costs")
    parser.add_argument(
        "--units",
        type=int,
        default=0,
        help="with --costs: units held, each batch the next --batch of them in turn (default: --batch)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        help="the store's new SQLite files get this page size, the WAL checkpointed at the same bytes "
        "(an A/B of a setting the store does not take: docs/explanation/performance.md)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        help="with --costs: only the variants whose name holds this (repeatable)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the store's SQLite statements alone, on pre-built rows",
    )
    args = parser.parse_args()
    units = [f"u{i}" for i in range(args.batch)]
    if args.page_size:
        _store_page_size(args.page_size)
    with tempfile.TemporaryDirectory() as tmp:
        if args.costs:
            names = [v for v in VARIANTS if not args.variant or any(w in v for w in args.variant)]
            costs(Path(tmp), units, args.repeats, args.batches, _fire_body(), names, args.units)
            return
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
