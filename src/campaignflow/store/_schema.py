"""Checking (and, for a new run only, creating) the schema, and binding a store to its campaign.

Opening never creates anything: a database without campaignflow's tables is
refused with the fix (start a campaign), whether it was named by URL or reached
through the application's connection. Only ``start()`` (a fresh bind) and
``set_meta`` create the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaignflow.exceptions import StoreError
from campaignflow.store._engines import engine_for, forget
from campaignflow.store._errors import wrap
from campaignflow.store._sqlite_lock import take_write_lock
from campaignflow.store._tables import SCHEMA_VERSION, meta_t, metadata, steps_t


def check_schema(conn: Connection, where: str, *, owned: bool, create: bool) -> None:
    """Check the schema version; create the tables when ``create`` and there are none.

    Raises:
        StoreError: the database holds other tables only (``owned``: a file or
            database campaignflow was pointed at), holds no campaign (and
            ``create`` is false), or has another schema version.
    """
    tables = set(sa.inspect(conn).get_table_names())
    if "cf_meta" not in tables:
        if tables and owned:
            listed = ", ".join(sorted(tables)[:5])
            msg = (
                f"{where} is not a campaignflow store (it holds tables {listed}): use a new file or database"
            )
            raise StoreError(msg)
        if not create:
            msg = (
                f"{where} holds no campaign: start one with campaign.start(org, store=...) "
                "(opening a run never creates the tables)"
            )
            raise StoreError(msg)
        metadata.create_all(conn)
        conn.execute(sa.insert(meta_t).values(key="schema_version", value=str(SCHEMA_VERSION)))
        return
    found = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "schema_version")).scalar()
    if found != str(SCHEMA_VERSION):
        msg = (
            f"{where} has store schema {found}, this campaignflow reads "
            f"{SCHEMA_VERSION}: upgrade campaignflow (see docs: migrate a store)"
        )
        raise StoreError(msg)


def bind_campaign(conn: Connection, where: str, campaign: str, *, fresh: bool) -> None:
    """Check the database holds ``campaign`` (or, ``fresh``, no run at all: then claim it).

    Raises:
        StoreError: another campaign's database; ``fresh`` and steps already
            written; not ``fresh`` and no campaign recorded.
    """
    stored = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "campaign")).scalar()
    if stored is not None and stored != campaign:
        msg = f"{where} holds campaign {stored!r}, not {campaign!r}"
        raise StoreError(msg)
    if not fresh:
        if stored is None:
            msg = f"{where} holds no campaign: start one with campaign.start(org, store=...)"
            raise StoreError(msg)
        return
    n = conn.execute(sa.select(sa.func.count()).select_from(steps_t)).scalar() or 0
    if n:
        msg = (
            f"{where} already holds a run of {stored!r} ({n} steps); "
            "open it with campaign.open(org, store) instead of start()"
        )
        raise StoreError(msg)
    if stored is None:
        conn.execute(sa.insert(meta_t).values(key="campaign", value=campaign))


STILL_BOUND = sa.select(meta_t.c.key, meta_t.c.value).where(meta_t.c.key.in_(["schema_version", "campaign"]))


def still_bound(conn: Connection, campaign: str) -> bool:
    """True when the database still holds ``campaign`` at this schema version (one key lookup).

    Opening a run on a connection of an engine that checked the schema before
    costs this query instead of an inspection of the catalogue and three reads.
    """
    found = {str(key): str(value) for key, value in conn.execute(STILL_BOUND)}
    return found == {"schema_version": str(SCHEMA_VERSION), "campaign": campaign}


def drop_schema(target: str | Engine) -> None:
    """Drop campaignflow's tables (``cf_*``) from a database: for tests and resets only."""
    engine = engine_for(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            take_write_lock(conn)
            metadata.drop_all(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise wrap(exc, str(engine.url)) from None
    forget(None, engine)
