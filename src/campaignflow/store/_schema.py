"""Checking (and, for a new run only, creating) the schema, and selecting a campaign's tables.

Opening never creates anything: a database without campaignflow's tables is
refused with the fix (start a campaign), whether it was named by URL or reached
through the application's connection. Only ``start()`` (a fresh bind) and
``set_meta`` create the tables; a fresh bind of a campaign the catalogue does
not list adds it, under the next free prefix (see ``_tables``).

A database of an earlier schema revision is refused with the fix (``campaignflow
migrate``), one of a later revision with both revisions named: nothing here
changes a schema that exists.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaignflow.exceptions import StoreError
from campaignflow.store._base import StoredCampaign
from campaignflow.store._engines import engine_for, forget
from campaignflow.store._errors import wrap
from campaignflow.store._sqlite_lock import take_write_lock
from campaignflow.store._tables import (
    DEFAULT_PREFIX,
    SCHEMA_VERSION,
    Tables,
    campaigns_t,
    catalogue,
    tables,
    version_t,
)

CATALOGUE_LOCK = 1667851108  # b'cfcd': PostgreSQL writers creating tables or adding campaigns queue on it


def stored_version(conn: Connection) -> str | None:
    """The database's schema revision as ``cf_meta`` records it (``None``: no campaignflow tables)."""
    if not sa.inspect(conn).has_table("cf_meta"):
        return None
    meta = tables().meta
    found = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return None if found is None else str(found)


def version_problem(where: str, found: str | None) -> str | None:
    """Why a database at schema revision ``found`` cannot be used as it is, or ``None``."""
    if found == str(SCHEMA_VERSION):
        return None
    if found is not None and found.isdigit() and int(found) < SCHEMA_VERSION:
        db = where.removeprefix("sqlite:///") if where.startswith("sqlite:///") else where
        return (
            f"{where} has store schema {found}, this campaignflow reads {SCHEMA_VERSION}: "
            f"run `campaignflow migrate {db}` (keep a copy first)"
        )
    return (
        f"{where} has store schema {found}, newer than this campaignflow's {SCHEMA_VERSION}: "
        "upgrade campaignflow to open it"
    )


def create_schema(conn: Connection) -> None:
    """Create the catalogue and the first campaign's tables, at this revision, in ``conn``'s transaction."""
    catalogue.create_all(conn)
    first = tables()
    first.metadata.create_all(conn)
    conn.execute(sa.insert(version_t).values(version_num=str(SCHEMA_VERSION)))
    conn.execute(sa.insert(first.meta).values(key="schema_version", value=str(SCHEMA_VERSION)))


def check_schema(conn: Connection, where: str, *, owned: bool, create: bool) -> None:
    """Check the schema version; create the tables when ``create`` and there are none.

    With ``create`` on PostgreSQL the transaction first takes the catalogue's
    lock: two processes starting on one database create the tables and list
    their campaigns one after the other (SQLite's write lock does this there).

    Raises:
        StoreError: the database holds other tables only (``owned``: a file or
            database campaignflow was pointed at), holds no campaign (and
            ``create`` is false), or has another schema version.
    """
    if create and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CATALOGUE_LOCK})")
    names = set(sa.inspect(conn).get_table_names())
    if "cf_meta" not in names:
        left = sorted(n for n in names if n.startswith("cf_"))
        if left and {"cf_campaigns", "cf_version"} & set(left):
            msg = (
                f"{where} holds campaignflow tables ({', '.join(left[:5])}) but not the first "
                "campaign's: dropped in part; reset it with campaignflow.store.drop_schema(url)"
            )
            raise StoreError(msg)
        if names and owned:
            listed = ", ".join(sorted(names)[:5])
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
        create_schema(conn)
        return
    problem = version_problem(where, stored_version(conn))
    if problem is not None:
        raise StoreError(problem)


def entries(conn: Connection) -> list[StoredCampaign]:
    """The campaigns the catalogue lists, in the order they were added."""
    c = campaigns_t.c
    found = conn.execute(sa.select(c.id, c.prefix, c.schema, c.created_at)).all()
    listed = [StoredCampaign(str(i), str(p), int(s), str(at)) for i, p, s, at in found]
    return sorted(listed, key=lambda e: _number(e.prefix))


def _number(prefix: str) -> int:
    """1 for ``cf_``, n for ``cf_<n>_``."""
    middle = prefix.removeprefix(DEFAULT_PREFIX).rstrip("_")
    return int(middle) if middle else 1


def _named(found: list[StoredCampaign]) -> str:
    return ", ".join(repr(e.id) for e in found)


def select_campaign(conn: Connection, where: str, campaign: str | None) -> Tables:
    """The tables of ``campaign``, or of the database's only campaign (the schema checked).

    Raises:
        StoreError: ``campaign`` is not in the database; or none was named and the
            database holds several (they are listed).
    """
    check_schema(conn, where, owned=False, create=False)
    found = entries(conn)
    if campaign is not None:
        for entry in found:
            if entry.id == campaign:
                return tables(entry.prefix)
        raise StoreError(_not_held(where, campaign, found))
    if len(found) > 1:
        msg = (
            f"{where} holds {len(found)} campaigns ({_named(found)}): "
            "name one (SQLStore(..., campaign=ID), --campaign-id ID)"
        )
        raise StoreError(msg)
    return tables(found[0].prefix if found else DEFAULT_PREFIX)


def _not_held(where: str, campaign: str, found: list[StoredCampaign]) -> str:
    held = f" (it holds {_named(found)})" if found else ""
    return f"{where} holds no campaign {campaign!r}{held}: start it with campaign.start(org, store=...)"


def bind_campaign(conn: Connection, where: str, campaign: str, *, fresh: bool) -> Tables:
    """The tables of ``campaign``; ``fresh``: a new run, added to the catalogue when it is not listed.

    Raises:
        StoreError: not ``fresh`` and the campaign is not in the database;
            ``fresh`` and the campaign's log holds steps already.
    """
    found = entries(conn)
    for entry in found:
        if entry.id == campaign:
            t = tables(entry.prefix)
            if fresh:
                n = conn.execute(sa.select(sa.func.count()).select_from(t.steps)).scalar() or 0
                if n:
                    msg = (
                        f"{where} already holds a run of {campaign!r} ({n} steps); "
                        "open it with campaign.open(org, store) instead of start()"
                    )
                    raise StoreError(msg)
            return t
    if not fresh:
        raise StoreError(_not_held(where, campaign, found))
    return _add(conn, campaign, found)


def _add(conn: Connection, campaign: str, found: list[StoredCampaign]) -> Tables:
    """List ``campaign`` in the catalogue under the next free prefix, its tables created.

    Runs after ``check_schema(create=True)`` in the same transaction: under the catalogue's lock.
    """
    prefix = DEFAULT_PREFIX if not found else f"cf_{max(_number(e.prefix) for e in found) + 1}_"
    t = tables(prefix)
    t.metadata.create_all(conn)  # the first campaign's exist already: checkfirst skips them
    conn.execute(
        sa.insert(campaigns_t).values(
            id=campaign, prefix=prefix, schema=SCHEMA_VERSION, created_at=datetime.now(UTC).isoformat()
        )
    )
    conn.execute(sa.delete(t.meta).where(t.meta.c.key == "campaign"))
    conn.execute(sa.insert(t.meta).values(key="campaign", value=campaign))
    return t


def still_bound(conn: Connection, campaign: str, t: Tables) -> bool:
    """True when the database still holds ``campaign`` in ``t`` at this schema revision.

    Opening a run on a connection of an engine that checked the schema before
    costs this one query instead of an inspection of the catalogue and three reads.
    """
    found = {str(key): str(value) for key, value in conn.execute(_still_bound(t))}
    return found == {"schema_version": str(SCHEMA_VERSION), "campaign": campaign}


@functools.cache  # built once per campaign: building a select per open cost more than running it
def _still_bound(t: Tables) -> sa.Executable:
    first = tables().meta
    if t.meta is first:
        return sa.select(first.c.key, first.c.value).where(first.c.key.in_(["schema_version", "campaign"]))
    version = sa.select(first.c.key, first.c.value).where(first.c.key == "schema_version")
    return sa.union_all(version, sa.select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key == "campaign"))


def drop_schema(target: str | Engine) -> None:
    """Drop every campaign's tables, the catalogue and the version table: for tests and resets only."""
    engine = engine_for(target) if isinstance(target, str) else target
    try:
        with engine.begin() as conn:
            take_write_lock(conn)
            prefixes = {DEFAULT_PREFIX}
            if sa.inspect(conn).has_table(campaigns_t.name):
                prefixes.update(e.prefix for e in entries(conn))
            for prefix in prefixes:
                tables(prefix).metadata.drop_all(conn)
            catalogue.drop_all(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise wrap(exc, str(engine.url)) from None
    forget(None, engine)
