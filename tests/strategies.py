"""Hypothesis strategies for our own tests: organisation trees of any shape."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import campaignflow as cf

LEVELS = ("county", "township", "village")


@st.composite
def org_rows(draw: st.DrawFn, *, max_children: int = 4, pilots: bool = True) -> list[dict[str, Any]]:
    """Rows of a valid three-level tree: one county, townships, villages; some pilots."""
    rows: list[dict[str, Any]] = [{"id": "c", "parent": None, "level": "county"}]
    for t in range(draw(st.integers(1, max_children))):
        tid = f"t{t}"
        rows.append({"id": tid, "parent": "c", "level": "township"})
        for v in range(draw(st.integers(0, max_children))):
            pilot = pilots and draw(st.booleans()) and draw(st.booleans())
            rows.append({"id": f"v{t}.{v}", "parent": tid, "level": "village", "pilot": pilot})
    return rows


def orgs(**kw: Any) -> st.SearchStrategy[cf.Org]:
    """Valid orgs built from :func:`org_rows`."""
    return org_rows(**kw).map(lambda rows: cf.Org.from_dicts(rows, levels=LEVELS))


@st.composite
def broken_rows(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    """A valid tree with one defect: (kind, rows)."""
    rows = draw(org_rows(pilots=False))
    kind = draw(st.sampled_from(["cycle", "inversion", "unknown_parent", "duplicate", "orphan", "empty_id"]))
    villages = [r for r in rows if r["level"] == "village"]
    townships = [r for r in rows if r["level"] == "township"]
    if kind == "cycle":
        rows[0]["parent"] = townships[0]["id"]  # the county under its own township
    elif kind == "inversion":
        rows.append({"id": "x-village", "parent": "c", "level": "village"})
        rows.append({"id": "x-township", "parent": "x-village", "level": "township"})
    elif kind == "unknown_parent":
        rows.append({"id": "lost", "parent": "nowhere", "level": "village"})
    elif kind == "duplicate":
        rows.append(dict(villages[0] if villages else townships[0]))
    elif kind == "orphan":
        rows.append({"id": "orphan", "parent": None, "level": "village"})
    else:
        rows.append({"id": " ", "parent": "c", "level": "township"})
    return kind, rows
