"""Writing refusals so that they outlive the caller's transaction, where the store allows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from campaignflow.store import Store, UnitRow
from campaignflow.values.records import Step


def append_kept(
    store: Store, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
) -> tuple[list[Step], bool]:
    """Append refusal ``steps``; True when the store committed them on its own.

    A store with ``append_refusal`` (both built-in stores) decides; any other
    store appends as usual and the refusal is reported as not kept apart.
    """
    keep = getattr(store, "append_refusal", None)
    if keep is None:
        return store.append(steps, rows, expected), False
    stored, kept = keep(steps, rows, expected)
    return list(stored), bool(kept)
