"""The SQL store's idempotency keys index (``cf_keys``): the step each key wrote.

A store written before the index existed opens as before; the table is
created by the first keyed write (as ``cf_denials`` is by the first denial).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaignflow.store._base import key_taken
from campaignflow.store._engines import known
from campaignflow.store._tables import keys_t, steps_t
from campaignflow.values.records import Step

FIND = (
    sa.select(steps_t.c.seq, steps_t.c.body, steps_t.c.prev_hash, steps_t.c.hash)
    .join(keys_t, keys_t.c.seq == steps_t.c.seq)
    .where(keys_t.c.key == sa.bindparam("key"))
)


def has_keys(conn: Connection, *, remember: bool) -> bool:
    """True when the database has the keys index.

    ``remember``: the connection sees only committed tables (a store owning its
    transactions), so a table seen is remembered per engine. On the caller's
    connection the table may be the caller's own, created by this request's
    first keyed write and not committed yet: checked every time.
    """
    memo = known(conn.engine)
    if memo.get("keys"):
        return True
    found = sa.inspect(conn).has_table(keys_t.name)
    if found and remember:
        memo["keys"] = "1"
    return found


def find_key(conn: Connection, key: str, *, remember: bool) -> tuple[Any, ...] | None:
    """``(seq, body, prev_hash, hash)`` of the log row ``key`` wrote, or None."""
    if not has_keys(conn, remember=remember):
        return None
    found = conn.execute(FIND, {"key": key}).first()
    return None if found is None else tuple(found)


def write_keys(
    conn: Connection, keyed: Sequence[Step], expected: Mapping[str, int], *, remember: bool
) -> None:
    """Index the keys of the stored steps ``keyed``, in the write's transaction.

    A key already there was written by a rival request since this one looked
    (``ConcurrentUpdate``: the retry returns the rival's step); one written
    concurrently and not yet committed makes the insert wait, then collide,
    which is a lost race too (``_errors.RACED``).
    """
    if not has_keys(conn, remember=remember):
        keys_t.create(conn, checkfirst=True)  # a store written before the keys index
    taken = conn.execute(
        sa.select(keys_t.c.key, keys_t.c.seq).where(keys_t.c.key.in_([s.key for s in keyed]))
    ).first()
    if taken is not None:
        raise key_taken(next(s for s in keyed if s.key == taken[0]), expected, int(taken[1]))
    conn.execute(sa.insert(keys_t), [{"key": s.key, "unit": s.unit, "seq": s.seq} for s in keyed])
