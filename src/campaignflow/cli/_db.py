"""Commands about the database itself: ``campaigns`` (what it holds), ``migrate`` (upgrade its schema)."""

from __future__ import annotations

import json

import click

from campaignflow.cli._app import command, guard
from campaignflow.cli._catalogue import listing, table


@command()
@click.argument("db")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def campaigns(db: str, fmt: str) -> None:
    """List the campaigns DB holds: id, label, units, steps, tables, when added.

    A database holds any number of campaigns; the commands that read one take
    --campaign-id ID when it holds several.

    Example: campaignflow campaigns mass-line.db
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast

    found = guard(lambda: listing(_targets.store_url(db)))
    print(json.dumps(found, ensure_ascii=False, indent=1) if fmt == "json" else table(found))


@command()
@click.argument("db")
def migrate(db: str) -> None:
    """Upgrade DB to this campaignflow's store schema: every revision, in one transaction.

    Prints each revision applied; a database at the current schema is left as
    it is (and says so); one of a newer schema is refused (exit 3) with both
    revisions named. The log's rows are never rewritten. Keep a copy first.

    Example: campaignflow migrate zhongmou-demo.db
    """
    from campaignflow import _targets  # noqa: PLC0415 - keep --help fast
    from campaignflow.store import migrate as upgrade  # noqa: PLC0415

    done = guard(lambda: upgrade(_targets.store_url(db)))
    print(done.explain())
