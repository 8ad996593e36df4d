"""SQLite's write lock, taken before a write reads anything it depends on.

pysqlite begins a transaction lazily, at the first INSERT or UPDATE, with a
plain (deferred) ``BEGIN``. A writer that reads first (the next sequence
number, the units' versions and chain heads) and writes after could then read
a state another process changes before its insert: seqs collide, versions are
judged stale. Every campaignflow write therefore starts with ``BEGIN
IMMEDIATE``, which takes the database's write lock at once, whoever built the
engine:

- engines the library builds (from a URL) follow SQLAlchemy's documented
  pysqlite recipe: pysqlite's own transaction handling is switched off on
  connect and the ``begin`` event emits ``BEGIN IMMEDIATE`` (``BEGIN`` for
  reads, which take a WAL snapshot and block nobody);
- on an engine or connection the application built, :func:`take_write_lock`
  emits ``BEGIN IMMEDIATE`` on the DBAPI connection when pysqlite has not begun
  a transaction yet. pysqlite then sees a transaction in progress: it adds no
  ``BEGIN`` of its own, and the application's ``commit()`` / ``rollback()`` end
  ours. When the application's transaction already wrote, it holds the lock.

With the lock taken first, a savepoint inside the transaction is an ordinary
nested savepoint (pysqlite's broken savepoints are the ones issued as the
first statement of a transaction).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def sqlite_engine(url: str) -> Engine:
    """An engine for a SQLite URL: WAL, a long busy timeout, a 32 MiB cache, ``BEGIN IMMEDIATE`` writes."""
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _: Any) -> None:
        # Take transactions out of pysqlite's hands so BEGIN IMMEDIATE is ours.
        dbapi.isolation_level = None
        cur = dbapi.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        # 32 MiB of page cache (the default is 2 MiB), filled only as pages are read: a
        # batch's random projection and index writes then stay in memory (no durability
        # change: commits are written as synchronous=NORMAL says).
        cur.execute("PRAGMA cache_size=-32768")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers queue on the write lock from their first statement; readers take a
        # snapshot and block nobody (WAL).
        reading = conn.get_execution_options().get("cf_read", False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def in_write_transaction(conn: Connection) -> bool:
    """True when the SQLite connection's DBAPI connection has a transaction open."""
    raw = conn.connection.driver_connection
    return bool(getattr(raw, "in_transaction", True))  # an unknown driver: assume it began


def take_write_lock(conn: Connection) -> None:
    """Make sure ``conn``'s SQLite transaction holds the write lock (no-op elsewhere)."""
    if conn.dialect.name != "sqlite" or in_write_transaction(conn):
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()
