"""Database errors, as campaignflow errors: a collision is a lost race, the rest a StoreError."""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Mapping

import sqlalchemy as sa

from campaignflow.exceptions import ConcurrentUpdate, StoreError

# Tables whose keys only a rival writer's concurrent step can take (any campaign's): a
# collision there means this write lost a race, and retrying it against the fresh state is right.
RACED = re.compile(r"\bcf_(?:[0-9]+_)?(?:steps|units|keys)")
# PostgreSQL's deadlock and serialization failures: the transaction lost a race too.
RACED_CODES = ("40P01", "40001")


def wrap(exc: BaseException, where: str) -> StoreError:
    """The StoreError for a database error at ``where``."""
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    if "file is not a database" in text or "malformed" in text:
        return StoreError(f"{where}: not a readable SQLite database ({text}); restore it from a backup")
    return StoreError(f"{where}: {text.splitlines()[0]}")


def raced(exc: BaseException, expected: Mapping[str, int] | None) -> ConcurrentUpdate | None:
    """The ConcurrentUpdate a database error during a write amounts to, or None."""
    orig = getattr(exc, "orig", exc)
    text = str(orig)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    collided = ("UNIQUE" in text or "duplicate key" in text) and RACED.search(text) is not None
    if not (collided or code in RACED_CODES) or not expected:
        return None
    unit, version = next(iter(expected.items()))
    first = text.splitlines()[0] if text else type(orig).__name__
    return ConcurrentUpdate(
        unit, expected=version, found=version, detail=f"the database refused the write as a race ({first})"
    )


def is_db_error(exc: BaseException) -> bool:
    """True for an error of the database or its driver (hot writes use the DBAPI cursor directly)."""
    if isinstance(exc, sa.exc.SQLAlchemyError | sqlite3.DatabaseError):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def missing_tables(exc: BaseException) -> bool:
    """True when the error says campaignflow's tables do not exist."""
    text = str(getattr(exc, "orig", exc))
    return "cf_" in text and ("no such table" in text or "does not exist" in text)
