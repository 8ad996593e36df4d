"""The SQL store's reads for ``verify``: the columns and index rows kept beside the hashed bodies."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaignflow.exceptions import StoreError
from campaignflow.store._tables import Tables
from campaignflow.store.denials import Denial, chained, denial_body

CHUNK = 5_000


def driver_rows(conn: Connection, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """``query``'s rows as the driver's own tuples, for columns the caller converts itself.

    Without SQLAlchemy's result processing (a SQLite boolean comes as 0 or 1):
    building its row objects was a tenth of verify's time.
    """
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


class AuditReads:
    """Mixed into :class:`SQLStore`: what verify compares with the replayed log."""

    def _read(self) -> AbstractContextManager[Connection]:  # pragma: no cover - SQLStore's own
        raise NotImplementedError

    def _tables(self) -> Tables:  # pragma: no cover - SQLStore's own
        raise NotImplementedError

    def _log_rows(self, *columns: sa.ColumnElement[Any]) -> Iterator[tuple[Any, ...]]:
        """``(seq, *columns)`` of every log row in seq order, read a chunk per short transaction."""
        last = 0
        seq = self._tables().steps.c.seq
        while True:
            query = sa.select(seq, *columns).where(seq > last).order_by(seq).limit(CHUNK)
            with self._read() as conn:
                chunk = driver_rows(conn, query)
            if not chunk:
                return
            yield from chunk
            last = chunk[-1][0]

    def shared_file(self) -> tuple[str, str] | None:
        """The SQLite file whose committed rows this store reads (other processes can read it too),
        and its campaign's table prefix.

        ``None`` for another database, an in-memory one, or a store on the caller's
        connection (whose uncommitted rows only that connection sees).
        """
        if getattr(self, "_conn", None) is not None:
            return None
        url = getattr(self, "_engine").url  # noqa: B009 - SQLStore's own
        database = url.database
        if url.get_backend_name() != "sqlite" or database in {None, "", ":memory:"} or url.query:
            return None
        return str(database), self._tables().prefix

    def steps_at_least(self, n: int) -> bool:
        """Whether the log holds ``n`` steps or more, counting no further than ``n`` (whether to shard).

        ``count(*)`` of the whole log walks an index of every step: ~2 s at province scale.
        """
        steps = self._tables().steps
        first = sa.select(sa.literal(1)).select_from(steps).limit(n).subquery()
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(first)).scalar() or 0) >= n

    def row_count(self) -> int:
        """How many projection rows the store holds (opening a run reads them a page at a time)."""
        units = self._tables().units
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(units)).scalar() or 0)

    def forked(self) -> None:
        """In a child process forked from the store's: new connections, the parent's left alone."""
        getattr(self, "_engine").dispose(close=False)  # noqa: B009 - SQLStore's own

    def columns(self) -> Iterator[tuple[int, str, str]]:
        """``(seq, unit, kind)`` of every log row in seq order, as stored beside the bodies (verify)."""
        c = self._tables().steps.c
        for seq, unit, kind in self._log_rows(c.unit, c.kind):
            yield int(seq), str(unit), str(kind)

    def evidence_index(self) -> Iterator[tuple[str, str, str, int, bool]]:
        """``(id, unit, kind, seq, live)`` of every evidence index row, by id, a page at a time (verify)."""
        t = self._tables().evidence.c
        last: str | None = None
        while True:
            query = sa.select(t.id, t.unit, t.kind, t.seq, t.live).order_by(t.id).limit(CHUNK)
            if last is not None:
                query = query.where(t.id > last)
            with self._read() as conn:
                found = driver_rows(conn, query)
            if not found:
                return
            for i, u, k, s, v in found:
                yield str(i), str(u), str(k), int(s), bool(v)
            last = found[-1][0]

    def keys(self) -> Iterator[tuple[str, str, int]]:
        """``(key, unit, seq)`` of the idempotency keys index (empty for a store without one; verify)."""
        keys = self._tables().keys
        with self._read() as conn:
            if not sa.inspect(conn).has_table(keys.name):
                return iter(())
            t = keys.c
            found = conn.execute(sa.select(t.key, t.unit, t.seq).order_by(t.seq)).all()
        return iter([(str(k), str(u), int(s)) for k, u, s in found])

    def denials(self) -> Iterator[Denial]:
        """The denial log in seq order (empty for a store written before it existed)."""
        denials = self._tables().denials
        with self._read() as conn:
            if not sa.inspect(conn).has_table(denials.name):
                return iter(())
            t = denials.c
            found = conn.execute(
                sa.select(t.seq, t.unit, t.actor, t.body, t.prev_hash, t.hash).order_by(t.seq)
            ).all()
        return iter([_denial(*row) for row in found])


class SQLiteShard:
    """The log and evidence index rows of a shard of units of an SQLite file, for a sharded verify.

    Through the ``sqlite3`` driver on a connection of its own (one per process),
    streamed, and filtered by SQLite: the other shards' bodies never become Python
    strings. ``outside``: the rows of every unit but ``units`` (which are the other
    shards'), rather than those of ``units``.
    """

    def __init__(self, path: str, prefix: str, units: Iterable[str], *, outside: bool = False) -> None:
        self.prefix = prefix
        self.conn = sqlite3.connect(path)
        self.conn.execute("CREATE TEMP TABLE cf_shard (unit TEXT PRIMARY KEY)")
        self.conn.executemany("INSERT INTO cf_shard VALUES (?)", ((u,) for u in units))
        # ``+unit``: scan the table in its own order. Given ``unit IN``, SQLite's planner searched the
        # (unit, seq) index unit by unit and sorted the shard's rows, bodies and all, in a temporary
        # b-tree to give them back in seq order (half the log: 1.0-1.7 s where the scan takes 0.6 s).
        self.where = f"+unit {'NOT IN' if outside else 'IN'} (SELECT unit FROM temp.cf_shard)"  # noqa: S608

    def _rows(self, query: str) -> Iterator[tuple[Any, ...]]:
        """The query's rows one at a time, as the cursor steps (no chunk of bodies held, no generator)."""
        cursor: Iterator[tuple[Any, ...]] = self.conn.execute(query)
        return cursor

    def log(self) -> Iterator[tuple[int, str, str, str, str, str]]:
        """``(seq, unit, kind, body, prev_hash, hash)`` of the shard's log rows, in seq order."""
        return self._rows(
            f"SELECT seq, unit, kind, body, prev_hash, hash FROM {self.prefix}steps "  # noqa: S608 - ours
            f"WHERE {self.where} ORDER BY seq"
        )

    def evidence(self) -> Iterator[tuple[str, str, str, int, int]]:
        """``(id, unit, kind, seq, live)`` of the shard's evidence index rows, in the order written.

        Its writer inserts them as it logs their steps, so their seqs come in log
        order: verify compares them with the log as it goes, holding neither.
        """
        return self._rows(
            f"SELECT id, unit, kind, seq, live FROM {self.prefix}evidence "  # noqa: S608 - ours
            f"WHERE {self.where} ORDER BY rowid"
        )

    def projected(self) -> int:
        """How many projection rows the shard's units have."""
        found = self.conn.execute(f"SELECT count(*) FROM {self.prefix}units WHERE {self.where}")  # noqa: S608
        return int(found.fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def _denial(seq: int, unit: str, actor: str, body: str, prev: str, digest: str) -> Denial:  # noqa: PLR0917 - a row
    """A stored denial; its unit and actor columns must say what its body says."""
    try:
        data = orjson.loads(body)
        denial = Denial(
            seq=int(seq),
            prev_hash=str(prev),
            hash=str(digest),
            **{k: str(data[k]) for k in ("unit", "actor", "action", "stage", "reason", "at")},
        )
        if data.get("seq") != seq:
            raise ValueError("seq")  # noqa: TRY301 - one message for every kind of bad body
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        msg = f"denial {seq}: its body does not parse as a denial ({type(exc).__name__}: {exc})"
        raise StoreError(msg, seq=int(seq)) from None
    if (denial.unit, denial.actor) != (unit, actor):
        said = f"{denial.unit!r}/{denial.actor!r}"
        msg = f"denial {seq}: its unit/actor columns say {unit!r}/{actor!r}, its body {said}"
        raise StoreError(msg, seq=int(seq))
    return denial


def write_denial(conn: Connection, denial: Denial, tables: Tables) -> Denial:
    """Append ``denial`` after the campaign's last one, in ``conn``'s transaction (denials' lock first)."""
    denials_t = tables.denials
    denials_t.create(conn, checkfirst=True)  # a store written before the denial log
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(1667853668)")  # b'cfdd': denials only
    t = denials_t.c
    last = conn.execute(sa.select(t.seq, t.hash).order_by(t.seq.desc()).limit(1)).first()
    stored = chained(denial, (last[0] if last else 0) + 1, last[1] if last else "")
    conn.execute(
        sa.insert(denials_t).values(
            seq=stored.seq,
            unit=stored.unit,
            actor=stored.actor,
            body=denial_body(stored).decode(),
            prev_hash=stored.prev_hash,
            hash=stored.hash,
        )
    )
    return stored
