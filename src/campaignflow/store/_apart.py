"""Refusals written apart from the caller's transaction, so that its rollback keeps them.

A web request runs inside ``with engine.begin():``; a ``GateClosed`` or
``PermissionDenied`` that escapes the block rolls back everything written in
it. A refusal is an audit record ("who tried what, and why it was refused"),
so a store on the caller's connection writes it through a short transaction
of its own, on another connection of the same engine, committed at once —
when it can:

- not when this transaction already wrote campaignflow rows: on PostgreSQL the
  new connection would wait for the row locks this one holds (it waits for us,
  we wait for it); on SQLite it would wait for the write lock;
- not on SQLite while the caller's DBAPI transaction is open at all (it took
  the write lock as soon as it wrote, its own rows included), nor on an
  in-memory SQLite database (another connection is another database).

Then the refusal is written into the caller's transaction as before, and the
error says so (``kept=False``) and carries what the host needs to record it
itself: the verdict or message, the actor, the time and the seq.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from campaignflow.store._sqlite_lock import in_write_transaction

_WROTE = "cf_wrote_in"  # in Connection.info: the root transaction the store last wrote in


def mark_written(conn: Connection) -> None:
    """Note that campaignflow rows were written in ``conn``'s current transaction."""
    conn.info[_WROTE] = conn.get_transaction()


def can_write_apart(conn: Connection) -> bool:
    """True when a refusal can be committed on another connection without waiting for ``conn``."""
    if conn.in_transaction() and conn.info.get(_WROTE) is conn.get_transaction():
        return False
    if conn.dialect.name == "sqlite":
        database = conn.engine.url.database
        return not in_write_transaction(conn) and database not in {None, "", ":memory:"}
    return True
