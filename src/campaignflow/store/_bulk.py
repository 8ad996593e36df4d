"""Large batches: ``COPY`` on PostgreSQL instead of one statement per row, plain DBAPI reads.

A batch of ``BULK`` steps or more is written with ``COPY ... FROM STDIN``
(3-4x the rows per second of psycopg's ``executemany``, measured in
docs/explanation/performance.md), and its projection rows through a
units' first rows straight into the projection by ``COPY`` (a rival's row makes
it fail on the unit's key: a lost race), the others through a session-local
staging table: one ``COPY`` into it, then one ``UPDATE ... FROM``, conditional
on the expected version, whose exact row count (which ``executemany`` does not
sum on psycopg) tells whether every unit was still where this write expected.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from campaignflow.exceptions import ConcurrentUpdate

BULK = 1_000  # rows from which COPY pays for its extra statements
CHUNK = 100
"""Rows per multi-row ``INSERT`` on SQLite: at 6 columns, under the 999 parameters of its oldest limit."""

# On the tables of one campaign, its prefix {p} (cf_, cf_<n>_); the staging table is the session's own.
COPY_STEPS = "COPY {p}steps (seq, unit, kind, body, prev_hash, hash) FROM STDIN"
COPY_EVIDENCE = "COPY {p}evidence (id, unit, kind, seq, live) FROM STDIN"
STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS cf_units_in "
    "(unit text, stage text, version integer, body text, head text, expected integer) "
    "ON COMMIT DELETE ROWS"
)
COPY_UNITS = "COPY cf_units_in (unit, stage, version, body, head, expected) FROM STDIN"
COPY_FIRST_UNITS = "COPY {p}units (unit, stage, version, body, head) FROM STDIN"
UPDATE_UNITS = (
    "UPDATE {p}units AS u SET stage = i.stage, version = i.version, body = i.body, head = i.head "
    "FROM cf_units_in AS i WHERE u.unit = i.unit AND u.version = i.expected"
)
LOCKED_HEADS = "SELECT unit, head, version FROM {p}units WHERE unit = ANY(%s) ORDER BY unit FOR UPDATE"
SEQS = (
    "SELECT array_agg(nextval(s.name)) FROM generate_series(1, %s), "
    "(SELECT pg_get_serial_sequence(%s, 'seq')::regclass AS name) AS s"
)


def _cursor(conn: Connection) -> Any:
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def locked_heads(conn: Connection, units: list[str], prefix: str) -> list[tuple[str, str, int]]:
    """``(unit, head, version)`` of the stored rows of ``units``, locked ``FOR UPDATE``, by unit.

    One query with an array, where ``IN`` lists of 2,000 cost a statement each.
    """
    cursor = _cursor(conn)
    try:
        return list(cursor.execute(LOCKED_HEADS.format(p=prefix), (units,)).fetchall())
    finally:
        cursor.close()


def stored_heads(conn: Connection, units: list[str], prefix: str) -> list[tuple[str, str, int]]:
    """``(unit, head, version)`` of the stored rows of ``units``, through the DBAPI cursor.

    Building the ``IN`` list through SQLAlchemy cost more than the query (SQLite,
    a batch of 10,000 units: 119 ms, five lists of 2,000).
    """
    cursor = _cursor(conn)
    try:
        marks = ", ".join("?" * len(units))
        query = f"SELECT unit, head, version FROM {prefix}units WHERE unit IN ({marks})"  # noqa: S608 - placeholders only
        return list(cursor.execute(query, units))
    finally:
        cursor.close()


def next_seqs(conn: Connection, n: int, prefix: str) -> list[int]:
    """``n`` numbers from the sequence of campaign ``prefix``'s log, ascending, in one row (not ``n``)."""
    cursor = _cursor(conn)
    try:
        (found,) = cursor.execute(SEQS, (n, f"{prefix}steps")).fetchone()
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


def copy_first_rows(conn: Connection, rows: Sequence[tuple[Any, ...]], prefix: str) -> None:
    """Units' first projection rows ``(unit, stage, version, body, head, 0)``, COPYed in directly.

    A row a rival inserted first makes the COPY fail on the unit's key: the write
    lost the race (``ConcurrentUpdate`` naming that unit); the caller's savepoint
    or transaction is rolled back with it.
    """
    psycopg = sys.modules["psycopg"]
    try:
        copy_rows(conn, COPY_FIRST_UNITS.format(p=prefix), (row[:5] for row in rows))
    except psycopg.errors.UniqueViolation as exc:
        detail = exc.diag.message_detail or ""
        found = re.search(r"\(unit\)=\((.*)\) already exists", detail)
        unit = found.group(1) if found else rows[0][0]
        why = f"another writer inserted its first projection row ({detail or exc})"
        raise ConcurrentUpdate(unit, expected=0, found=1, detail=why) from None


def copy_units(conn: Connection, rows: Sequence[tuple[Any, ...]], prefix: str) -> int:
    """``(unit, stage, version, body, head, expected)`` rows over the projection, each only if
    its unit is still at ``expected``; the rows updated."""
    cursor = _cursor(conn)
    try:
        cursor.execute(STAGING)
        cursor.execute("TRUNCATE cf_units_in")  # a caller's transaction may append twice
        with cursor.copy(COPY_UNITS) as copy:
            for row in rows:
                copy.write_row(row)
        updated = cursor.execute(UPDATE_UNITS.format(p=prefix)).rowcount
    finally:
        cursor.close()
    return int(updated)


@functools.cache
def _chunked(statement: str, rows: int) -> str:
    """``statement`` (``INSERT ... VALUES (?, ...) ...``) inserting ``rows`` rows at once."""
    found = re.fullmatch(r"(.* VALUES )(\([?, ]+\))(.*)", statement)
    if found is None:
        msg = f"not a one-row INSERT ... VALUES: {statement!r}"
        raise ValueError(msg)
    head, values, tail = found.groups()
    return head + ", ".join([values] * rows) + tail


def insert_chunks(cursor: Any, statement: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """``rows`` (an iterator is consumed as they go) through the one-row INSERT ``statement`` on
    SQLite, ``CHUNK`` rows a statement; the rows inserted.

    ``sqlite3``'s ``executemany`` binds and steps its statement once per row: 10,000 log
    rows took 24.5 ms of it against 15.7 ms in multi-row statements of 100 (best of 7,
    the same rows, table and index); the B-tree work is the same. A multi-row
    ``UPDATE ... FROM (VALUES ...)`` was slower than ``executemany`` (22 against 18 ms):
    updates stay one per row.
    """
    many = _chunked(statement, CHUNK)
    flat = itertools.chain.from_iterable
    rows = iter(rows)
    total = 0
    while chunk := list(itertools.islice(rows, CHUNK)):
        if len(chunk) == CHUNK:
            cursor.execute(many, list(flat(chunk)))
        else:
            cursor.executemany(statement, chunk)
        total += cursor.rowcount
    return total
