"""campaignflow's tables (prefix ``cf_``), and the schema version they make up."""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()
meta_t = sa.Table(
    "cf_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
steps_t = sa.Table(
    "cf_steps",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("cf_steps_unit_seq", "unit", "seq"),
)
units_t = sa.Table(
    "cf_units",
    metadata,
    sa.Column("unit", sa.String(200), primary_key=True),
    sa.Column("stage", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("head", sa.String(64), nullable=False),
)
checkpoints_t = sa.Table(
    "cf_checkpoints",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("first_seq", sa.BigInteger, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("heads", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("cf_checkpoints_last", "last_seq"),
)
evidence_t = sa.Table(
    "cf_evidence",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(200), nullable=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Index("cf_evidence_unit_kind", "unit", "kind", "live"),
)
denials_t = sa.Table(
    "cf_denials",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
# Idempotency keys: the step each key wrote. Created by start() with the rest, or at the
# first keyed write into a store written before it (as cf_denials); verify checks it
# against the keys hashed into the steps.
keys_t = sa.Table(
    "cf_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("unit", sa.String(200), nullable=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
)
