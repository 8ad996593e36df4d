"""The engines SQL stores use: one per URL and process, safe across ``fork``.

A pooled engine must not cross a ``fork``: parent and child would share the
pool's sockets and read each other's results (``gunicorn --preload`` opens
the app, and any store on a URL, in the master before forking its workers).
As SQLAlchemy documents for multiprocessing, the child calls
``engine.dispose(close=False)``: it forgets the inherited connections without
closing them under the parent, and opens its own. That is done here, in an
``os.register_at_fork`` hook, for every engine a store has used (the ones the
library built from URLs and the ones the application passed in), and checked
again by process id whenever an engine is looked up.

What a store learned about a database (its schema version was checked, which
campaign it holds) is kept per engine too, so that opening a run on a fresh
connection of a known engine reads nothing but the projection.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from campaignflow.exceptions import StoreError
from campaignflow.store._sqlite_lock import sqlite_engine

_ENGINES: dict[str, Engine] = {}
_SEEN: weakref.WeakSet[Engine] = weakref.WeakSet()  # every engine a store used in this process
_KNOWN: weakref.WeakKeyDictionary[Engine, dict[str, str]] = weakref.WeakKeyDictionary()
_PID = [os.getpid()]


def _forget_inherited() -> None:
    """In a forked child: drop the parent's pooled connections (without closing them)."""
    _PID[0] = os.getpid()
    for engine in list(_SEEN):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere processes are spawned, not forked
    os.register_at_fork(after_in_child=_forget_inherited)


def _check_pid() -> None:
    # A fork the hook did not see (a C-level fork): the same remedy.
    if _PID[0] != os.getpid():
        _forget_inherited()


def engine_for(url: str) -> Engine:
    """One pooled engine per URL and process, shared by every store on that URL."""
    _check_pid()
    engine = _ENGINES.get(url)
    if engine is None:
        engine = sqlite_engine(url) if url.startswith("sqlite") else sa.create_engine(url)
        _ENGINES[url] = engine
    _SEEN.add(engine)
    return engine


def seen(engine: Engine) -> None:
    """Note that a store uses ``engine`` (an application's): it is disposed in forked children."""
    _check_pid()
    _SEEN.add(engine)


def known(engine: Engine) -> dict[str, str]:
    """What stores learned about ``engine``'s database (``"campaign"``: checked and bound)."""
    found = _KNOWN.get(engine)
    if found is None:
        found = _KNOWN[engine] = {}
    return found


def forget(url: str | None, engine: Engine) -> None:
    """Drop what is remembered about ``engine`` (its schema was dropped); and the URL's engine."""
    _KNOWN.pop(engine, None)
    if url is not None and _ENGINES.get(url) is engine:
        engine.dispose()
        del _ENGINES[url]


def require_file(engine: Engine, where: str) -> None:
    """Refuse a SQLite URL naming no file, before connecting would create an empty one.

    Raises:
        StoreError: the file does not exist (only ``start()`` creates a database).
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        msg = (
            f"{where}: no such database file {path!r}: check the path, or start a campaign "
            "there with campaign.start(org, store=...)"
        )
        raise StoreError(msg)
