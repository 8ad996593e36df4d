"""The SQL store's idempotency keys index (``cf_keys``, ``<prefix>keys``): the step each key wrote.

A store written before the index existed opens as before; the table is
created by the first keyed write (as ``cf_denials`` is by the first denial).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaignflow.store._base import key_taken
from campaignflow.store._engines import known
from campaignflow.store._tables import Tables
from campaignflow.values.records import Step


@functools.cache  # built once per campaign: building a select per call cost more than running it
def _find(t: Tables) -> sa.Select[Any]:
    steps, keys = t.steps, t.keys
    return (
        sa.select(steps.c.seq, steps.c.body, steps.c.prev_hash, steps.c.hash)
        .join(keys, keys.c.seq == steps.c.seq)
        .where(keys.c.key == sa.bindparam("key"))
    )


def has_keys(conn: Connection, t: Tables, *, remember: bool) -> bool:
    """True when the database has the keys index.

    ``remember``: the connection sees only committed tables (a store owning its
    transactions), so a table seen is remembered per engine. On the caller's
    connection the table may be the caller's own, created by this request's
    first keyed write and not committed yet: checked every time.
    """
    memo = known(conn.engine)
    seen = f"keys:{t.prefix}"
    if memo.get(seen):
        return True
    found = sa.inspect(conn).has_table(t.keys.name)
    if found and remember:
        memo[seen] = "1"
    return found


def find_key(conn: Connection, t: Tables, key: str, *, remember: bool) -> tuple[Any, ...] | None:
    """``(seq, body, prev_hash, hash)`` of the log row ``key`` wrote in ``t``'s campaign, or None."""
    if not has_keys(conn, t, remember=remember):
        return None
    found = conn.execute(_find(t), {"key": key}).first()
    return None if found is None else tuple(found)


def write_keys(
    conn: Connection, t: Tables, keyed: Sequence[Step], expected: Mapping[str, int], *, remember: bool
) -> None:
    """Index the keys of the stored steps ``keyed``, in the write's transaction.

    A key already there was written by a rival request since this one looked
    (``ConcurrentUpdate``: the retry returns the rival's step); one written
    concurrently and not yet committed makes the insert wait, then collide,
    which is a lost race too (``_errors.RACED``).
    """
    keys_t = t.keys
    if not has_keys(conn, t, remember=remember):
        keys_t.create(conn, checkfirst=True)  # a store written before the keys index
    taken = conn.execute(
        sa.select(keys_t.c.key, keys_t.c.seq).where(keys_t.c.key.in_([s.key for s in keyed]))
    ).first()
    if taken is not None:
        raise key_taken(next(s for s in keyed if s.key == taken[0]), expected, int(taken[1]))
    conn.execute(sa.insert(keys_t), [{"key": s.key, "unit": s.unit, "seq": s.seq} for s in keyed])
