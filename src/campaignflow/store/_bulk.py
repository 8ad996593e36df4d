"""Large batches on PostgreSQL: ``COPY`` instead of one statement per row.

A batch of ``BULK`` steps or more is written with ``COPY ... FROM STDIN``
(3-4x the rows per second of psycopg's ``executemany``, measured in
docs/explanation/performance.md), and its projection rows through a
session-local staging table: one ``COPY`` into it, then one ``INSERT ... ON
CONFLICT DO NOTHING`` for units' first rows and one ``UPDATE ... FROM`` for the
others, each still conditional on the expected version, and each returning an
exact row count (which ``executemany`` does not sum on psycopg).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

BULK = 1_000  # rows from which COPY pays for its extra statements

COPY_STEPS = "COPY cf_steps (seq, unit, kind, body, prev_hash, hash) FROM STDIN"
COPY_EVIDENCE = "COPY cf_evidence (id, unit, kind, seq, live) FROM STDIN"
STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS cf_units_in "
    "(unit text, stage text, version integer, body text, head text, expected integer) "
    "ON COMMIT DELETE ROWS"
)
COPY_UNITS = "COPY cf_units_in (unit, stage, version, body, head, expected) FROM STDIN"
INSERT_UNITS = (
    "INSERT INTO cf_units (unit, stage, version, body, head) "
    "SELECT unit, stage, version, body, head FROM cf_units_in WHERE expected = 0 "
    "ON CONFLICT (unit) DO NOTHING"
)
UPDATE_UNITS = (
    "UPDATE cf_units AS u SET stage = i.stage, version = i.version, body = i.body, head = i.head "
    "FROM cf_units_in AS i WHERE i.expected <> 0 AND u.unit = i.unit AND u.version = i.expected"
)
SEQS = (
    "SELECT array_agg(nextval(s.name)) FROM generate_series(1, %s), "
    "(SELECT pg_get_serial_sequence('cf_steps', 'seq')::regclass AS name) AS s"
)


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def next_seqs(conn: Connection, n: int) -> list[int]:
    """``n`` numbers from the log's sequence, ascending, in one row (not ``n``)."""
    cursor = _cursor(conn)
    try:
        (found,) = cursor.execute(SEQS, (n,)).fetchone()
    finally:
        cursor.close()
    return sorted(found)


def copy_rows(conn: Connection, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """``rows`` (an iterator is consumed as COPY sends) through the COPY ``statement``."""
    cursor = _cursor(conn)
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def copy_units(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> tuple[int, int]:
    """``(unit, stage, version, body, head, expected)`` rows into the projection, each only
    if its unit is still at ``expected`` (0: no row yet); the rows inserted and updated."""
    cursor = _cursor(conn)
    try:
        cursor.execute(STAGING)
        cursor.execute("TRUNCATE cf_units_in")  # a caller's transaction may append twice
        with cursor.copy(COPY_UNITS) as copy:
            for row in rows:
                copy.write_row(row)
        inserted = cursor.execute(INSERT_UNITS).rowcount
        updated = cursor.execute(UPDATE_UNITS).rowcount
    finally:
        cursor.close()
    return int(inserted), int(updated)
