"""The ``campaignflow`` command line: the only package that prints.

``main`` (the console script's entry point) is the click group of ``_app``;
each module below registers its commands on it:

- ``_demo``: ``demo``;
- ``_read``: ``verify``, ``report``, ``obligations``, ``explain``;
- ``_log``: ``history``, ``export``;
- ``_define``: ``check``, ``diagram``;
- ``_db``: ``campaigns``, ``migrate`` (``_catalogue`` lists a database's campaigns).

Every command exits 0 (ok), 1 (a negative answer), 2 (usage error) or 3 (an
input that cannot be read or written), as listed in each ``--help``.

May import: anything (it is the top of the house), with ``_demo``, ``_targets``
and ``_files`` beside it at the package's top level, which only it uses.
"""

from __future__ import annotations

from campaignflow.cli import _db, _define, _demo, _log, _read
from campaignflow.cli._app import main

__all__ = ["main"]

del _db, _define, _demo, _log, _read  # registered on main; not part of the interface
