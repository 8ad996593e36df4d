"""``migrate``: upgrade a database of an earlier schema revision, all revisions in one transaction.

The revisions are Alembic scripts shipped in ``migrations/`` and run in code
(no ``alembic.ini``): a ``Config`` whose attributes carry the connection. A
database written before migrations has no version table: it is stamped at the
revision its ``cf_meta.schema_version`` names, then upgraded. Whatever fails
rolls everything back: the database is left at its old revision, untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from campaignflow.exceptions import StoreError
from campaignflow.store._engines import engine_for, forget, require_file
from campaignflow.store._errors import wrap
from campaignflow.store._schema import stored_version, version_problem
from campaignflow.store._sqlite_lock import take_write_lock
from campaignflow.store._tables import SCHEMA_VERSION, VERSION_TABLE

SCRIPTS = Path(__file__).parent / "migrations"


@attrs.frozen(kw_only=True)
class Migration:
    """What :func:`migrate` did.

    Attributes:
        where: the database.
        before: its schema revision before.
        after: its schema revision now (this campaignflow's).
        applied: ``(revision, what it does)`` of each revision applied, in order;
            empty when the database was current already.
    """

    where: str
    before: int
    after: int
    applied: tuple[tuple[str, str], ...]

    def explain(self) -> str:
        """One line per revision applied, or one saying there was nothing to do."""
        if not self.applied:
            return f"{self.where} is at schema {self.after}, this campaignflow's: nothing to migrate"
        lines = [f"{self.where}: schema {self.before} → {self.after}"]
        lines += [f"  applied revision {rev}: {what}" for rev, what in self.applied]
        return "\n".join(lines)


def config(conn: Connection, on_apply: Callable[..., None] | None = None) -> Any:
    """Alembic's ``Config`` for the scripts in ``migrations/``, run on ``conn``."""
    from alembic.config import Config  # noqa: PLC0415 - Alembic loads only to migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = conn
    if on_apply is not None:
        cfg.attributes["on_version_apply"] = on_apply
    return cfg


def migrate(target: str | Engine, *, revision: str = "head") -> Migration:
    """Upgrade the database at ``target`` to this campaignflow's schema, in one transaction.

    Args:
        target: an SQLAlchemy URL or ``Engine``.
        revision: the revision to reach (tests build older databases with it).

    Raises:
        StoreError: the database holds no campaignflow tables, is of a newer
            schema than this campaignflow (both named), or a revision failed
            (then nothing changed).
    """
    from alembic import command  # noqa: PLC0415 - Alembic loads only to migrate

    given: object = target  # callers without type checking pass anything
    if not isinstance(given, (str, Engine)):
        msg = f"migrate(target=...) takes an SQLAlchemy URL or Engine, got {type(given).__name__}"
        raise TypeError(msg)
    engine = engine_for(target) if isinstance(target, str) else target
    where = target if isinstance(target, str) else str(engine.url)
    if isinstance(target, str) and revision == "head":  # tests build older databases from nothing
        require_file(engine, where)
    applied: list[tuple[str, str]] = []

    def note(*, step: Any, **_: Any) -> None:
        if step.is_migration:
            applied.append((str(step.up_revision_id), _summary(step.up_revision.doc)))

    try:
        with engine.begin() as conn:
            take_write_lock(conn)
            before = _current(conn, where, empty_ok=revision != "head")
            cfg = config(conn, note)
            if before and not sa.inspect(conn).has_table(VERSION_TABLE):
                command.stamp(cfg, str(before))  # written before migrations: at the revision it names
            command.upgrade(cfg, revision)
            after = int(stored_version(conn) or 0)
    except StoreError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise wrap(exc, f"{where}: the migration was rolled back, nothing changed") from None
    except Exception as exc:  # noqa: BLE001 - whatever a revision raised, the database is as it was
        why = f"{type(exc).__name__}: {exc}"
        msg = f"{where}: the migration failed and was rolled back, nothing changed ({why})"
        raise StoreError(msg) from None
    finally:
        forget(None, engine)  # what stores learned of the database's schema is stale
    return Migration(where=where, before=before, after=after, applied=tuple(applied))


def _current(conn: Connection, where: str, *, empty_ok: bool) -> int:
    """The database's schema revision (0: no tables, when ``empty_ok``); a newer one is refused."""
    found = stored_version(conn)
    if found is None:
        if empty_ok:
            return 0
        msg = f"{where} holds no campaign: nothing to migrate (start one with campaign.start)"
        raise StoreError(msg)
    if not (found.isdigit() and int(found) <= SCHEMA_VERSION):
        raise StoreError(version_problem(where, found) or found)
    return int(found)


def _summary(doc: str | None) -> str:
    """A revision's docstring, its first line without the leading ``Revision N:``."""
    first = (doc or "").strip().splitlines()[0] if doc else ""
    what = first.split(":", 1)[1].strip() if first.startswith("Revision") and ":" in first else first
    return what.replace("``", "")
