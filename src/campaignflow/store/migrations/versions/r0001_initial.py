"""Revision 1: the schema of every release before migrations: one campaign, tables ``cf_*``.

Written out as that code created it. A user's database of this revision
predates the version table: ``migrate`` stamps it at 1 before upgrading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _seq() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    """Create the first campaign's tables, at schema 1."""
    meta = op.create_table(
        "cf_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "cf_steps",
        sa.Column("seq", _seq(), primary_key=True, autoincrement=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("cf_steps_unit_seq", "cf_steps", ["unit", "seq"])
    op.create_table(
        "cf_units",
        sa.Column("unit", sa.String(200), primary_key=True),
        sa.Column("stage", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
    )
    op.create_table(
        "cf_checkpoints",
        sa.Column("id", _seq(), primary_key=True, autoincrement=True),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("heads", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("cf_checkpoints_last", "cf_checkpoints", ["last_seq"])
    op.create_table(
        "cf_evidence",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("seq", _seq(), nullable=False),
        sa.Column("live", sa.Boolean, nullable=False),
    )
    op.create_index("cf_evidence_unit_kind", "cf_evidence", ["unit", "kind", "live"])
    op.create_table(
        "cf_denials",
        sa.Column("seq", _seq(), primary_key=True, autoincrement=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])


def downgrade() -> None:
    """Drop the first campaign's tables."""
    for name in ("cf_denials", "cf_evidence", "cf_checkpoints", "cf_units", "cf_steps", "cf_meta"):
        op.drop_table(name)
