"""campaignflow's tables: the catalogue of campaigns, and each campaign's tables under its prefix.

A database holds any number of campaigns. The catalogue ``cf_campaigns`` maps
each campaign id to the prefix of its tables; the first campaign of a
database keeps the prefix ``cf_`` (``cf_steps``, ``cf_units``...: a database
written before the catalogue existed is its first campaign as it stands), and
every later one gets ``cf_<n>_``. Each campaign's tables are built by
:func:`tables`, once per prefix, with the same columns, keys and indexes: the
hot queries run on one campaign's tables exactly as they did on the only one.

The schema revision of the whole database is in ``cf_version`` (the version
table of the Alembic migrations in ``migrations/``) and, for earlier releases
to refuse a newer database clearly, in ``cf_meta.schema_version``.
"""

from __future__ import annotations

import functools
import re

import attrs
import sqlalchemy as sa

SCHEMA_VERSION = 3
"""The schema revision this campaignflow reads and writes (its last migration)."""
DEFAULT_PREFIX = "cf_"
"""The prefix of a database's first campaign (and of every database written before revision 2)."""
VERSION_TABLE = "cf_version"
"""Alembic's version table, named apart from an application's own ``alembic_version``."""
PREFIX = re.compile(r"cf_(?:[1-9][0-9]{0,5}_)?")

catalogue = sa.MetaData()
campaigns_t = sa.Table(
    "cf_campaigns",
    catalogue,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("schema", sa.Integer, nullable=False),  # the revision its tables were created at
    sa.Column("created_at", sa.String(40), nullable=False),
)
version_t = sa.Table(
    VERSION_TABLE,
    catalogue,
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"),  # as Alembic builds it
)


@attrs.frozen(eq=False)
class Tables:
    """One campaign's tables (its ``prefix``), and the statements the store runs on them."""

    prefix: str
    metadata: sa.MetaData
    meta: sa.Table
    steps: sa.Table
    units: sa.Table
    checkpoints: sa.Table
    evidence: sa.Table
    denials: sa.Table
    keys: sa.Table

    def name(self, table: str) -> str:
        """The full name of this campaign's table ``table`` (``"steps"`` → ``"cf_2_steps"``)."""
        return f"{self.prefix}{table}"


def _seq() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer, "sqlite")


@functools.cache
def tables(prefix: str = DEFAULT_PREFIX) -> Tables:
    """The tables of the campaign whose prefix is ``prefix`` (built once per prefix and process)."""
    if not PREFIX.fullmatch(prefix):
        msg = f"table prefix {prefix!r}: campaignflow's prefixes are cf_ or cf_<n>_"
        raise ValueError(msg)
    md = sa.MetaData()
    p = prefix
    return Tables(
        prefix=p,
        metadata=md,
        meta=sa.Table(
            f"{p}meta",
            md,
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        ),
        steps=sa.Table(
            f"{p}steps",
            md,
            sa.Column("seq", _seq(), primary_key=True, autoincrement=True),
            sa.Column("unit", sa.String(200), nullable=False),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Index(f"{p}steps_unit_seq", "unit", "seq"),
        ),
        units=sa.Table(
            f"{p}units",
            md,
            sa.Column("unit", sa.String(200), primary_key=True),
            sa.Column("stage", sa.String(200), nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("head", sa.String(64), nullable=False),
        ),
        checkpoints=sa.Table(
            f"{p}checkpoints",
            md,
            sa.Column("id", _seq(), primary_key=True, autoincrement=True),
            sa.Column("first_seq", sa.BigInteger, nullable=False),
            sa.Column("last_seq", sa.BigInteger, nullable=False),
            sa.Column("heads", sa.Text, nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Index(f"{p}checkpoints_last", "last_seq"),
        ),
        evidence=sa.Table(
            f"{p}evidence",
            md,
            sa.Column("id", sa.String(200), primary_key=True),
            sa.Column("unit", sa.String(200), nullable=False),
            sa.Column("kind", sa.String(200), nullable=False),
            sa.Column("seq", _seq(), nullable=False),
            sa.Column("live", sa.Boolean, nullable=False),
            sa.Index(f"{p}evidence_unit_kind", "unit", "kind", "live"),
        ),
        denials=sa.Table(
            f"{p}denials",
            md,
            sa.Column("seq", _seq(), primary_key=True, autoincrement=False),
            sa.Column("unit", sa.String(200), nullable=False),
            sa.Column("actor", sa.String(200), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("prev_hash", sa.String(64), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
        ),
        # Idempotency keys: the step each key wrote. Created by start() with the rest, or at
        # the first keyed write into a store written before it (as denials); verify checks it
        # against the keys hashed into the steps.
        keys=sa.Table(
            f"{p}keys",
            md,
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("unit", sa.String(200), nullable=False),
            sa.Column("seq", _seq(), nullable=False),
        ),
    )
