"""The campaigns a database holds, as the command line lists them (``campaigns``, and a DB of several)."""

from __future__ import annotations

import json
from typing import Any


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
