"""A store over SQLAlchemy Core: SQLite (the embedded default) and PostgreSQL.

One write is one transaction, or one savepoint in the caller's transaction:
whatever fails inside it (a lost race, a collision the database reports)
leaves nothing behind. The optimistic version check comes first: the written
units' rows are read (locked ``FOR UPDATE`` on PostgreSQL) and their versions
compared before any step is inserted; the conditional write (``UPDATE ...
WHERE version = :expected``, or an insert that must not conflict for a unit's
first row) checks again. SQLite writes take the write lock first (``BEGIN
IMMEDIATE``, whoever built the engine: see ``_sqlite_lock``), so processes
queue instead of colliding; PostgreSQL takes the global order from its
sequence, and writers on different units never wait for each other.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaignflow.exceptions import ConcurrentUpdate, StoreError
from campaignflow.store._apart import can_write_apart, mark_written
from campaignflow.store._base import Fires, StoredCampaign, UnitRow, make_checkpoint, numbered
from campaignflow.store._bulk import (
    BULK,
    COPY_EVIDENCE,
    COPY_STEPS,
    copy_first_rows,
    copy_rows,
    copy_units,
    insert_chunks,
    locked_heads,
    next_seqs,
    stored_heads,
)
from campaignflow.store._engines import engine_for, forget, known, require_file, seen
from campaignflow.store._errors import is_db_error, missing_tables, raced, wrap
from campaignflow.store._keys import find_key, write_keys
from campaignflow.store._schema import (
    bind_campaign,
    check_schema,
    entries,
    select_campaign,
    still_bound,
)
from campaignflow.store._sql_audit import write_denial
from campaignflow.store._sql_fires import (
    Linked,
    ProjectionRow,
    checkpoint_row,
    fire_rows,
    fire_unit_rows,
    fires_checkpoint,
    row_body,
)
from campaignflow.store._sql_reads import LogReads, keep_decoded
from campaignflow.store._sqlite_lock import take_write_lock
from campaignflow.store._tables import Tables, tables
from campaignflow.store.codec import chained_rows
from campaignflow.store.denials import Denial
from campaignflow.values.records import Kind, Recorded, Step

# The hot writes, as DBAPI statements ("?" placeholders; "%s" for psycopg), on the tables of prefix {p}.
HOT = {
    "insert_steps": "INSERT INTO {p}steps (seq, unit, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
    "insert_units": (
        "INSERT INTO {p}units (unit, stage, version, body, head) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (unit) DO NOTHING"
    ),
    "insert_evidence": "INSERT INTO {p}evidence (id, unit, kind, seq, live) VALUES (?, ?, ?, ?, ?)",
    "update_units": (
        "UPDATE {p}units SET stage = ?, version = ?, body = ?, head = ? WHERE unit = ? AND version = ?"
    ),
    "insert_checkpoint": "INSERT INTO {p}checkpoints (first_seq, last_seq, heads, hash) VALUES (?, ?, ?, ?)",
    "top_seq": "SELECT coalesce(max(seq), 0) FROM {p}steps",
}


@functools.cache
def hot(prefix: str, dialect: str) -> dict[str, str]:
    """The hot statements on the tables of ``prefix``, in the placeholders of ``dialect``'s driver."""
    found = {name: statement.format(p=prefix) for name, statement in HOT.items()}
    return found if dialect == "sqlite" else {name: s.replace("?", "%s") for name, s in found.items()}


class SQLStore(LogReads):
    """The log and projection in SQL tables (prefix ``cf_``, ``cf_<n>_`` for later campaigns).

    A database holds any number of campaigns, each in tables of its own (listed
    by :meth:`campaigns`). ``bind`` (what ``start`` and ``open`` call) selects
    the campaign by its id, and a fresh bind adds a campaign the database does
    not hold yet. Reads before any bind (:meth:`meta`, :meth:`steps`...) read
    ``campaign``, or the database's only campaign.

    Args:
        target: an SQLAlchemy URL (``"sqlite:///campaign.db"``,
            ``"postgresql+psycopg://user@host/db"``), an ``Engine``, or a
            ``Connection`` of yours: then each write runs inside your current
            transaction (as a savepoint) and commits or rolls back with it.
        evidence_types: evidence classes by name, to decode stored evidence (the
            run passes its campaign's on start and open).
        campaign: the id of the campaign to read, for a database holding several
            (default: its only one); ``bind`` to another id is refused.
    """

    def __init__(
        self,
        target: str | Engine | Connection,
        *,
        evidence_types: Mapping[str, type[Any]] | None = None,
        campaign: str | None = None,
    ) -> None:
        given: object = campaign  # callers without type checking pass anything
        if given is not None and not isinstance(given, str):
            msg = f"SQLStore(campaign=...) takes a campaign id (str) or None, got {type(given).__name__}"
            raise TypeError(msg)
        self._conn: Connection | None = None
        self._campaign = campaign
        self._t: Tables = tables()  # the campaign's tables, once picked (bind, or a first read)
        self._picked = False
        self._owned = isinstance(target, str)
        if isinstance(target, str):
            self.where = target
            try:
                self._engine = engine_for(target)
            except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
                raise StoreError(f"cannot open store {target!r}: {exc}") from None
        elif isinstance(target, Connection):
            self._conn = target
            self._engine = target.engine
            self.where = str(target.engine.url)
        else:
            self._engine = target
            self.where = str(target.url)
        seen(self._engine)
        self.evidence_types: dict[str, type[Any]] = dict(evidence_types or {})
        self.dialect = self._engine.dialect.name
        self._ready = False
        # Decoded evidence by seq. Committed log rows never change, so a row decoded
        # once serves every later read; only a store that owns its transactions
        # keeps one (in the caller's transaction a row may still be rolled back).
        self._decoded: dict[int, Recorded[Any]] | None = {} if self._conn is None else None

    # ------------------------------------------------------------ plumbing

    @contextmanager
    def _tx(self, expected: Mapping[str, int] | None = None) -> Iterator[Connection]:
        """A write: a savepoint in the caller's transaction, or a transaction of the store's own.

        SQLite's write lock is taken before anything is read (``_sqlite_lock``).
        Whatever fails inside rolls the savepoint or transaction back; a
        collision the database reports on a unit's keys is a lost race
        (:class:`ConcurrentUpdate` for a unit of ``expected``).
        """
        try:
            conn = self._conn
            if conn is None:
                with self._engine.begin() as own:
                    take_write_lock(own)
                    yield own
            elif conn.in_transaction():
                take_write_lock(conn)
                with conn.begin_nested():
                    yield conn
            else:
                with conn.begin():
                    take_write_lock(conn)
                    yield conn
        except (ConcurrentUpdate, StoreError):
            raise
        except Exception as exc:
            if not is_db_error(exc):
                raise
            lost = raced(exc, expected)
            if lost is not None:
                raise lost from None
            raise wrap(exc, self.where) from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            if self._conn is not None:
                yield self._conn
            else:
                with self._engine.connect() as conn:
                    yield conn.execution_options(cf_read=True)
        except (sa.exc.SQLAlchemyError, sqlite3.DatabaseError) as exc:
            if missing_tables(exc):  # dropped since this engine last checked them
                forget(None, self._engine)
                msg = f"{self.where} holds no campaign (its tables are gone): start one with campaign.start()"
                raise StoreError(msg) from None
            raise wrap(exc, self.where) from None

    def _schema(self, *, fresh: bool) -> None:
        """Check the schema (``fresh``: create it when there is none) and pick the campaign's tables."""
        if self._ready and self._picked:
            return
        if fresh:
            with self._tx() as conn:
                check_schema(conn, self.where, owned=self._owned, create=True)
                self._t = select_campaign(conn, self.where, self._campaign)
        else:
            if self._owned:
                require_file(self._engine, self.where)
            with self._read() as conn:
                check_schema(conn, self.where, owned=self._owned, create=False)
                self._t = select_campaign(conn, self.where, self._campaign)
        self._ready = self._picked = True

    def _tables(self) -> Tables:
        """The campaign's tables: picked by ``bind``, or else on the first read (see the class)."""
        if not self._picked:
            self._schema(fresh=False)
        return self._t

    def campaigns(self) -> list[StoredCampaign]:
        """The campaigns the database holds (id, table prefix, revision, when added), first first."""
        if self._owned:
            require_file(self._engine, self.where)
        with self._read() as conn:
            check_schema(conn, self.where, owned=self._owned, create=False)
            return entries(conn)

    def meta(self, key: str) -> str | None:
        """A value of the campaign's metadata table."""
        meta = self._tables().meta
        with self._read() as conn:
            value = conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()
            return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value of the campaign (e.g. its factory, the org's source)."""
        self._schema(fresh=True)
        meta = self._t.meta
        with self._tx() as conn:
            conn.execute(sa.delete(meta).where(meta.c.key == key))
            conn.execute(sa.insert(meta).values(key=key, value=value))

    def bind(
        self, campaign: str, *, fresh: bool, evidence_types: Mapping[str, type[Any]] | None = None
    ) -> None:
        """Tie the store to ``campaign``: select its tables (a fresh run: create them, if need be).

        Raises:
            StoreError: the store was opened for another campaign; see :meth:`Store.bind`.
        """
        if self._campaign is not None and campaign != self._campaign:
            msg = f"{self.where}: this store was opened for campaign {self._campaign!r}, not {campaign!r}"
            raise StoreError(msg)
        if evidence_types is not None:
            self.evidence_types = dict(evidence_types)
            if self._decoded is not None:
                self._decoded.clear()  # decoded with other classes
        memo = known(self._engine)
        key = f"prefix:{campaign}"
        if fresh:
            with self._tx() as conn:
                check_schema(conn, self.where, owned=self._owned, create=True)
                self._t = bind_campaign(conn, self.where, campaign, fresh=True)
        else:
            if self._owned:
                require_file(self._engine, self.where)
            with self._read() as conn:  # opening reads; it never takes SQLite's write lock
                # A database this engine checked before: one key lookup confirms it.
                prefix = memo.get(key)
                if prefix is not None and still_bound(conn, campaign, tables(prefix)):
                    self._t = tables(prefix)
                else:
                    check_schema(conn, self.where, owned=self._owned, create=False)
                    self._t = bind_campaign(conn, self.where, campaign, fresh=False)
        self._ready = self._picked = True
        if self._decoded is not None and self._campaign != campaign:
            self._decoded.clear()  # seqs number each campaign's log apart
        self._campaign = campaign
        if not fresh or self._conn is None:  # a start in the caller's transaction may roll back
            memo[key] = self._t.prefix

    # ------------------------------------------------------------ writing

    def append(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> list[Step]:
        """Write steps and rows in one transaction after the optimistic version check."""
        if not steps:
            return []
        with self._tx(expected) as conn:
            heads, seqs = self._begin(conn, expected, {row.unit for row in rows}, len(steps))
            links: list[tuple[str, str]] = []
            self._log(conn, chained_rows(steps, seqs, heads, links), len(steps))
            stored = list(map(numbered, steps, seqs, links))
            self._write_rows(conn, rows, expected, heads)
            keyed = [s for s in stored if s.key]
            if keyed:
                write_keys(conn, self._t, keyed, expected, remember=self._conn is None)
            self._index(conn, stored)
            self._many(conn, "insert_checkpoint", [checkpoint_row(make_checkpoint(stored, heads))])
            if self._conn is not None:
                mark_written(self._conn)
        if self._decoded is not None:  # committed: what a read would decode, as the run recorded it
            for s in stored:
                if s.evidence is not None:
                    keep_decoded(self._decoded, s.seq, s.evidence)
        return stored

    def append_fires(self, fires: Fires, expected: Mapping[str, int]) -> None:
        """:meth:`append` for a batch held as columns (``fire_many``'s): no step or row built per unit.

        The log rows, projection rows and checkpoint are those ``append`` writes for
        the batch's built steps and rows (``_sql_fires``); its steps are built when
        read, numbered and carrying the chain links written.
        """
        n = len(fires)
        if not n:
            fires.seqs, fires.built = [], []
            return
        units = fires.units
        with self._tx(expected) as conn:
            heads, seqs = self._begin(conn, expected, set(units), n)
            prevs: list[str] = []
            hashes: list[str] = []
            self._log(conn, fire_rows(fires, seqs, heads, prevs, hashes), n)
            self._put_rows(conn, *fire_unit_rows(fires, expected, heads))
            self._many(conn, "insert_checkpoint", [checkpoint_row(fires_checkpoint(seqs, units, heads))])
            if self._conn is not None:
                mark_written(self._conn)
        fires.seqs = seqs
        fires.built = Linked(n, prevs, hashes)

    def _begin(
        self, conn: Connection, expected: Mapping[str, int], written: set[str], n: int
    ) -> tuple[dict[str, str], list[int]]:
        """A write's version check (the chain heads of its units) and its ``n`` log numbers.

        The check comes before any insert. A unit at version 0 has no row yet,
        hence no head: its first row's insert must not conflict (``_put_rows``).
        Numbers come first (bodies do not hold them): RETURNING with ordered
        parameters made SQLite insert row by row (10,000 statements for 10,000 steps).
        """
        heads = self._heads(conn, {u: v for u, v in expected.items() if v or u not in written})
        if self.dialect == "postgresql":
            return heads, next_seqs(conn, n, self._t.prefix)
        return heads, self._top_seqs(conn, n)

    def _log(self, conn: Connection, rows: Iterable[tuple[Any, ...]], n: int) -> None:
        """The log rows of a write: one plain executemany, or (PostgreSQL, ``BULK`` rows or more)
        a COPY that the encoding streams into: the server stores rows while the next are encoded."""
        if self.dialect == "postgresql" and n >= BULK:
            copy_rows(conn, COPY_STEPS.format(p=self._t.prefix), rows)
        else:
            self._many(conn, "insert_steps", rows)

    def keyed(self, key: str) -> Step | None:
        """The step idempotency key ``key`` wrote, or None (also for a store without the index)."""
        t = self._tables()
        with self._read() as conn:
            found = find_key(conn, t, key, remember=self._conn is None)
        return None if found is None else self._decode(*found)

    def append_refusal(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> tuple[list[Step], bool]:
        """:meth:`append` for refusals, kept even when the caller's transaction rolls back.

        Returns:
            The stored steps, and True when they were committed in a transaction of
            the store's own (always, for a store on a URL or engine; on the caller's
            connection when ``_apart`` allows), False when they went into the
            caller's transaction.
        """
        if self._conn is None:
            return self.append(steps, rows, expected), True
        if not can_write_apart(self._conn):
            return self.append(steps, rows, expected), False
        apart = SQLStore(self._engine, evidence_types=self.evidence_types)
        apart._ready = apart._picked = True  # the same database and campaign, checked by this store
        apart._t = self._t
        return apart.append(steps, rows, expected), True

    def append_denial(self, denial: Denial) -> tuple[Denial, bool]:
        """Append ``denial`` to the denial log, apart from the caller's transaction where possible.

        Returns the stored denial and whether it was committed on its own (as
        :meth:`append_refusal`). Denials are rare: they take one lock of their own
        (SQLite's write lock, a PostgreSQL advisory lock), never a unit's version.
        """
        if self._conn is not None and can_write_apart(self._conn):
            apart = SQLStore(self._engine, evidence_types=self.evidence_types)
            apart._ready = apart._picked = True  # the same database and campaign, checked by this store
            apart._t = self._t
            return apart.append_denial(denial)[0], True
        with self._tx() as conn:
            stored = write_denial(conn, denial, self._t)
        return stored, self._conn is None

    def _many(self, conn: Connection, name: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """One DBAPI executemany of the hot statement ``name``; the summed row count.

        The hot writes skip SQLAlchemy's per-row parameter processing (and, for a
        batch's few statements, its statement building, which cost more than running
        them in a batch of one): the rows are plain tuples already, an iterator is
        consumed as the driver binds, all through the connection's own transaction.
        SQLite's inserts go in multi-row statements (``_bulk.insert_chunks``).
        psycopg does not sum row counts over an executemany: callers compare the
        count and, when it does not prove every row was written, read them back.
        """
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        statement = hot(self._t.prefix, self.dialect)[name]
        try:
            if self.dialect == "sqlite" and name.startswith("insert_"):
                count = insert_chunks(cursor, statement, rows)
            else:
                cursor.executemany(statement, rows)
                count = cursor.rowcount
        finally:
            cursor.close()
        return int(count if count is not None else -1)

    def _top_seqs(self, conn: Connection, n: int) -> list[int]:
        """``n`` fresh log numbers on SQLite: those after the largest, inside the write transaction.

        SQLite holds the database's write lock for the whole transaction (BEGIN
        IMMEDIATE), so they are ours; PostgreSQL draws its numbers from the column's
        sequence, which concurrent writers share safely (``_bulk.next_seqs``).
        """
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            (top,) = cursor.execute(hot(self._t.prefix, self.dialect)["top_seq"]).fetchone()
        finally:
            cursor.close()
        return list(range(int(top) + 1, int(top) + n + 1))

    def _heads(self, conn: Connection, expected: Mapping[str, int]) -> dict[str, str]:
        """The chain heads of units expected at these versions; ConcurrentUpdate if one moved.

        PostgreSQL locks the rows (``FOR UPDATE``, in unit order so that batches
        never deadlock): the versions read stay true until this write commits.
        SQLite holds its write lock already.
        """
        heads: dict[str, str] = {}
        units = sorted(expected)
        bulk = self.dialect == "postgresql" and len(units) >= BULK
        prefix = self._t.prefix
        for i in range(0, 1 if bulk else len(units), 2_000):
            if bulk:  # one query, its rows locked in one order: the database's
                found = locked_heads(conn, units, prefix)
            elif self.dialect == "sqlite":  # under the write lock: no FOR UPDATE, no SQLAlchemy
                found = stored_heads(conn, units[i : i + 2_000], prefix)
            else:
                c = self._t.units.c
                query = sa.select(c.unit, c.head, c.version).where(c.unit.in_(units[i : i + 2_000]))
                if self.dialect == "postgresql":
                    query = query.order_by(c.unit).with_for_update()
                found = [(r.unit, r.head, r.version) for r in conn.execute(query)]
            for unit, head, version in found:
                if version != expected[unit]:
                    raise ConcurrentUpdate(unit, expected=expected[unit], found=version)
                heads[unit] = head
        for unit in units:
            if unit not in heads and expected[unit]:  # a unit only read, at version 0, has no row
                raise ConcurrentUpdate(unit, expected=expected[unit], found=0)
        return heads

    def _write_rows(
        self, conn: Connection, rows: Sequence[UnitRow], expected: Mapping[str, int], heads: Mapping[str, str]
    ) -> None:
        """Upsert the rows, each only if its unit is still at the expected version."""
        fresh: list[ProjectionRow] = []
        moved: list[ProjectionRow] = []
        encoded: dict[Any, str] = {}
        for row in rows:
            unit = row.unit
            before = expected.get(unit, row.version)
            body = row_body(encoded, row.reworks, row.fired, row.blocked)
            (moved if before else fresh).append(
                (unit, row.stage, row.version, body, heads.get(unit, ""), before)
            )
        self._put_rows(conn, fresh, moved)

    def _put_rows(self, conn: Connection, fresh: list[ProjectionRow], moved: list[ProjectionRow]) -> None:
        """Write projection rows ``(unit, stage, version, body, head, expected)``: units' first rows
        (``fresh``, expected 0) and the others, each only if its unit is still at ``expected``."""
        if self.dialect == "postgresql" and len(fresh) + len(moved) >= BULK:
            prefix = self._t.prefix
            if fresh:
                copy_first_rows(conn, fresh, prefix)
            counts = ((len(fresh), fresh), (copy_units(conn, moved, prefix) if moved else 0, moved))
        else:
            # A unit's first row must not exist yet: a rival's insert wins, ours is skipped.
            # The others: one statement for the whole batch, its summed row count telling
            # whether every writer won.
            counts = (
                (self._many(conn, "insert_units", [v[:5] for v in fresh]) if fresh else 0, fresh),
                (
                    self._many(conn, "update_units", [(*v[1:5], v[0], v[5]) for v in moved]) if moved else 0,
                    moved,
                ),
            )
        for count, attempted in counts:
            if count != len(attempted):
                self._lost(conn, attempted)

    def _lost(self, conn: Connection, attempted: list[ProjectionRow]) -> None:
        """Raise ConcurrentUpdate for the first unit whose row is not the one just written.

        Called when a driver's row count does not prove every row was written
        (psycopg does not sum them over an executemany). The chain head written
        is unique to this write, so reading it back in the same transaction
        settles it, where a version number could coincide with a rival's.
        """
        found: dict[str, tuple[str, int]] = {}
        names = [v[0] for v in attempted]
        c = self._t.units.c
        for i in range(0, len(names), 500):
            query = sa.select(c.unit, c.head, c.version).where(c.unit.in_(names[i : i + 500]))
            found.update((unit, (head, version)) for unit, head, version in conn.execute(query))
        for unit, _, _, _, written, before in attempted:
            head, version = found.get(unit, ("", 0))
            if head != written:
                raise ConcurrentUpdate(unit, expected=before, found=version)

    def _index(self, conn: Connection, stored: list[Step]) -> None:
        record, retract = Kind.RECORD, Kind.RETRACT
        added = [
            (s.evidence.id, s.unit, s.evidence.kind, s.seq, True)
            for s in stored
            if s.kind is record and s.evidence is not None
        ]
        evidence = self._t.evidence
        if len(added) >= BULK and self.dialect == "postgresql":
            copy_rows(conn, COPY_EVIDENCE.format(p=self._t.prefix), added)
        elif added:
            self._many(conn, "insert_evidence", added)
        for s in stored:
            if s.kind is retract:
                conn.execute(sa.update(evidence).where(evidence.c.id == s.target).values(live=False))

    def close(self) -> None:
        """Release the engine's connections (only those this store opened)."""
        if self._owned:
            forget(self.where, self._engine)
