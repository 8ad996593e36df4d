"""Alembic's environment: every revision runs on the connection ``store._migrate`` passes in.

The connection is already inside ``migrate``'s transaction: Alembic then opens
none of its own, and the caller commits (or rolls back) the whole chain at once.
"""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "cf_version"  # as _tables.VERSION_TABLE: this file is loaded by path, apart from the package


def run() -> None:
    """Run the revisions asked for on the caller's connection (online only: there is no SQL script mode)."""
    config = context.config
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
        on_version_apply=config.attributes.get("on_version_apply", ()),
    )
    with context.begin_transaction():
        context.run_migrations()


run()
