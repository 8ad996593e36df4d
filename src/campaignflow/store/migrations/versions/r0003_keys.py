"""Revision 3: the idempotency keys index (``<prefix>keys``) of every campaign: the step each key wrote.

Created for every campaign the catalogue lists, unless its first keyed write
made it already (stores of revision 2 create it then, as the denial log).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3"
down_revision: str | None = "2"
branch_labels = None
depends_on = None

catalogue = sa.table("cf_campaigns", sa.column("prefix", sa.String))


def _prefixes(conn: sa.Connection) -> list[str]:
    listed = {str(p) for p in conn.execute(sa.select(catalogue.c.prefix)).scalars()}
    return sorted(listed | {"cf_"})  # the first campaign's tables exist even before one is listed


def upgrade() -> None:
    """Create each campaign's keys table, where it does not exist yet."""
    conn = op.get_bind()
    for prefix in _prefixes(conn):
        if not sa.inspect(conn).has_table(f"{prefix}keys"):
            op.create_table(
                f"{prefix}keys",
                sa.Column("key", sa.String(200), primary_key=True),
                sa.Column("unit", sa.String(200), nullable=False),
                sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
            )
    op.execute(sa.text("UPDATE cf_meta SET value = '3' WHERE key = 'schema_version'"))


def downgrade() -> None:
    """Drop the keys tables: keyed steps keep their keys in the log, only the index goes."""
    conn = op.get_bind()
    for prefix in _prefixes(conn):
        if sa.inspect(conn).has_table(f"{prefix}keys"):
            op.drop_table(f"{prefix}keys")
    op.execute(sa.text("UPDATE cf_meta SET value = '2' WHERE key = 'schema_version'"))
