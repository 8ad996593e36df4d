"""Revision 2: the catalogue ``cf_campaigns``: several campaigns in one database.

The campaign the database holds is listed under the prefix ``cf_``, its tables
as they are (its log byte for byte, its hash chains unchanged); campaigns
started later get tables of their own, ``cf_<n>_*``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
from alembic import op

revision = "2"
down_revision: str | None = "1"
branch_labels = None
depends_on = None

meta = sa.table("cf_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
steps = sa.table("cf_steps", sa.column("seq", sa.BigInteger), sa.column("body", sa.Text))


def _started(conn: sa.Connection) -> str:
    """When the campaign's log began (its first step), or now for an empty log."""
    body = conn.execute(sa.select(steps.c.body).order_by(steps.c.seq).limit(1)).scalar()
    if body is None:
        return datetime.now(UTC).isoformat()
    try:
        return str(orjson.loads(str(body))["at"])
    except (KeyError, orjson.JSONDecodeError):  # a body without its time: the log is verified apart
        return datetime.now(UTC).isoformat()


def upgrade() -> None:
    """Create the catalogue and list the database's campaign in it, under ``cf_``."""
    catalogue = op.create_table(
        "cf_campaigns",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("schema", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    conn = op.get_bind()
    campaign = conn.execute(sa.select(meta.c.value).where(meta.c.key == "campaign")).scalar()
    if campaign is not None:
        row = {"id": campaign, "prefix": "cf_", "schema": 1, "created_at": _started(conn)}
        op.bulk_insert(catalogue, [row])
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="2"))


def downgrade() -> None:
    """Drop the catalogue: only while it lists no more than the first campaign."""
    conn = op.get_bind()
    others = conn.execute(sa.text("SELECT count(*) FROM cf_campaigns WHERE prefix <> 'cf_'")).scalar()
    if others:
        msg = f"the database holds {others} campaigns beside its first: schema 1 holds one only"
        raise RuntimeError(msg)
    op.drop_table("cf_campaigns")
    op.execute(meta.update().where(meta.c.key == "schema_version").values(value="1"))
