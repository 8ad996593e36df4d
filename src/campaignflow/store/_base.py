"""The store interface: an append-only log of steps and a projection of unit rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from campaignflow._records import Recorded, Step


@attrs.frozen(kw_only=True)
class UnitRow:
    """The projection of one unit: where it is and how often it was reworked.

    Attributes:
        unit: the unit id.
        stage: its current leaf stage.
        version: bumped by every accepted write to the unit (optimistic locking).
        reworks: send-back counts by stage.
        fired: events the unit has fired at least once, sorted.
        head: the hash of the unit's last step (its chain head), set by the store.
        blocked: when the unit's last attempt was refused by its gate and it has
            not moved since: ``{"event", "stage", "reasons", "at"}``; else ``None``.
    """

    unit: str
    stage: str
    version: int
    reworks: Mapping[str, int] = attrs.field(factory=dict)
    fired: tuple[str, ...] = ()
    head: str = ""
    blocked: Mapping[str, Any] | None = None


class Store(Protocol):
    """What a run needs of its storage. Every method is atomic."""

    def append(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> list[Step]:
        """Write ``steps`` and ``rows`` in one transaction and return the steps with seqs.

        Raises:
            ConcurrentUpdate: a unit's stored version is not ``expected[unit]``;
                nothing was written.
        """

    def records(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``kind``, oldest first."""

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""

    def steps(self) -> Iterator[Step]:
        """The whole log in seq order."""

    def rows(self) -> Iterator[UnitRow]:
        """The stored projection."""

    def row(self, unit: str) -> UnitRow | None:
        """The unit's stored row, or ``None`` when nothing was written for it."""

    def bind(
        self, campaign: str, *, fresh: bool, evidence_types: Mapping[str, type[Any]] | None = None
    ) -> None:
        """Tie the store to a campaign id.

        Args:
            campaign: the campaign id.
            fresh: True when starting a new run: the store must then hold no steps.
            evidence_types: the campaign's evidence classes by name, to decode with.

        Raises:
            StoreError: the store belongs to another campaign, or (``fresh``) already
                holds a run.
        """
