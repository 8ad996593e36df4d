"""Stores: where a run's event log and current-state projection live.

- :class:`MemoryStore` — in process memory (tests, throwaway runs);
- :class:`SQLStore` — SQL tables through SQLAlchemy Core: SQLite, the embedded
  default (``"sqlite:///campaign.db"``), or PostgreSQL through psycopg 3
  (``"postgresql+psycopg://user@host/db"``) for many workers on many hosts.
  A database holds any number of campaigns, each in tables of its own
  (:meth:`SQLStore.campaigns` lists them); :func:`migrate` upgrades a database
  of an earlier schema (``campaignflow migrate DB``).

:func:`open_store` picks one from a URL, an engine, a connection or ``None``.
``codec`` turns evidence into JSON and back; ``validate`` checks it against its
class at ``record``.

May import: ``values``, ``exceptions``. The store knows steps and rows, never
rules, campaigns or the organisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from campaignflow.store._base import Checkpoint as Checkpoint
from campaignflow.store._base import Store as Store
from campaignflow.store._base import StoredCampaign as StoredCampaign
from campaignflow.store._base import UnitRow as UnitRow
from campaignflow.store._memory import MemoryStore as MemoryStore

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from campaignflow.store._migrate import Migration as Migration
    from campaignflow.store._sql import SQLStore as SQLStore

__all__ = [
    "Checkpoint",
    "MemoryStore",
    "Migration",
    "SQLStore",
    "Store",
    "StoredCampaign",
    "UnitRow",
    "drop_schema",
    "migrate",
    "open_store",
]


def drop_schema(target: str | Engine) -> None:
    """Drop campaignflow's tables (``cf_*``) from the database at ``target`` (tests, resets)."""
    from campaignflow.store._schema import drop_schema as drop  # noqa: PLC0415

    drop(target)


def migrate(target: str | Engine) -> Migration:
    """Upgrade the database at ``target`` (URL or ``Engine``) to this campaignflow's schema.

    Every revision between the database's and this campaignflow's runs in one
    transaction: all of them apply, or (an error) none. A database at the
    current schema is left as it is (``Migration.applied`` is empty); one of a
    newer schema is refused. The command line's ``campaignflow migrate DB``.

    Raises:
        StoreError: no campaignflow tables, a newer schema (both revisions
            named), or a revision that failed (nothing changed).
    """
    from campaignflow.store._migrate import migrate as run  # noqa: PLC0415

    return run(target)


def __getattr__(name: str) -> Any:
    # SQLAlchemy loads only when an SQL store is used: `import campaignflow` stays light.
    if name == "SQLStore":
        from campaignflow.store._sql import SQLStore  # noqa: PLC0415

        return SQLStore
    if name == "Migration":
        from campaignflow.store._migrate import Migration  # noqa: PLC0415

        return Migration
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def open_store(
    target: Store | str | Engine | Connection | None,
    *,
    evidence_types: Mapping[str, type[Any]] | None = None,
) -> Store:
    """A store for ``target``.

    Args:
        target: ``None`` or ``"memory://"`` for a :class:`MemoryStore`; an
            SQLAlchemy URL, ``Engine`` or ``Connection`` for an :class:`SQLStore`;
            a store as is.
        evidence_types: evidence classes by name (SQL stores decode with them).
    """
    if target is None or target == "memory://":
        return MemoryStore()
    if isinstance(target, MemoryStore):
        return target
    from campaignflow.store._sql import SQLStore  # noqa: PLC0415

    if isinstance(target, SQLStore):
        return target
    if isinstance(target, str):
        return SQLStore(target, evidence_types=evidence_types)
    from sqlalchemy.engine import Connection, Engine  # noqa: PLC0415

    if isinstance(target, Engine | Connection):
        return SQLStore(target, evidence_types=evidence_types)
    return target
