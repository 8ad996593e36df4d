"""Commands about the database itself: ``campaigns`` (what it holds), ``migrate`` (upgrade its schema)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from campaignflow.cli._app import USAGE, command, guard


def listing(url: str) -> list[dict[str, Any]]:
    """The campaigns the database at ``url`` holds: id, label, units, steps, table prefix, added."""
    from campaignflow.run.describe import STRUCTURE  # noqa: PLC0415 - keep --help fast
    from campaignflow.run.members import KEY  # noqa: PLC0415
    from campaignflow.store import SQLStore  # noqa: PLC0415

    out = []
    for entry in SQLStore(url).campaigns():
        store = SQLStore(url, campaign=entry.id)
        structure = store.meta(STRUCTURE)
        started = store.meta(KEY)
        units = len(json.loads(started)) if started is not None else sum(1 for _ in store.rows())
        out.append(
            {
                "id": entry.id,
                "label": json.loads(structure).get("label", "") if structure else "",
                "units": units,
                "steps": store.step_count(),
                "prefix": entry.prefix,
                "created_at": entry.created_at,
            }
        )
    return out


def table(found: list[dict[str, Any]]) -> str:
    """The listing as aligned text, one campaign a line."""
    from rich.cells import cell_len  # noqa: PLC0415 - keep --help fast

    rows = [("id", "label", "units", "steps", "tables", "added")]
    rows += [
        (c["id"], c["label"], str(c["units"]), str(c["steps"]), f"{c['prefix']}*", c["created_at"][:10])
        for c in found
    ]
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))]  # a CJK label is 2 a char
    return "\n".join(
        "  ".join(cell + " " * (w - cell_len(cell)) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    )


def require_one(db: str, url: str, chosen: str | None) -> str | None:
    """The campaign to read: ``chosen``, or DB's only one (``None``: it holds none).

    Several and none chosen, or a chosen id DB does not hold, is a usage error:
    one ``error:`` line, then the campaigns DB holds.
    """
    from campaignflow.store import SQLStore  # noqa: PLC0415 - keep --help fast

    held = [c.id for c in SQLStore(url).campaigns()]
    if chosen in held or (chosen is None and len(held) <= 1):
        return chosen or (held[0] if held else None)
    if chosen is None:
        line = f"{db} holds {len(held)} campaigns: choose one with --campaign-id ID"
    else:
        line = f"{db} holds no campaign {chosen!r} (--campaign-id): it holds {', '.join(map(repr, held))}"
    click.echo(f"error: {line}", err=True)
    click.echo(table(listing(url)), err=True)
    sys.exit(USAGE)


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
