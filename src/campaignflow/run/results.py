"""What run operations return: a unit's state, a batch's outcome."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import attrs

from campaignflow.run.rollup import Blocked
from campaignflow.store._base import Fires
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Step


@attrs.frozen(kw_only=True)
class UnitState:
    """A unit's current state, as :meth:`Run.state` reports it.

    Attributes:
        unit: the unit id.
        stage: its current leaf stage.
        label: that stage's label.
        version: its write version.
        reworks: send-back counts by stage.
        fired: events it has fired at least once.
        blocked: the refusal that blocks it, if its last attempt failed.
    """

    unit: str
    stage: str
    label: str
    version: int
    reworks: Mapping[str, int]
    fired: tuple[str, ...]
    blocked: Blocked | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (a web app returns it as is)."""
        return {
            "unit": self.unit,
            "stage": self.stage,
            "label": self.label,
            "version": self.version,
            "reworks": dict(self.reworks),
            "fired": list(self.fired),
            "blocked": None if self.blocked is None else self.blocked.to_dict(),
        }


class FiredSteps(Sequence[Step]):
    """The steps of a batch's units that moved, in batch order, each built when first read.

    A batch is written as columns (:class:`~campaignflow.store._base.Fires`); a
    caller that only counts its moves builds no step. Compares equal to any
    sequence of the same steps (a tuple of them included).
    """

    __slots__ = ("_fires", "_where")

    def __init__(self, fires: Fires, where: Sequence[int]) -> None:
        self._fires = fires
        self._where = where  # the moved steps' positions in the batch

    def __len__(self) -> int:
        return len(self._where)

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Step, ...]: ...
    def __getitem__(self, i: int | slice) -> Step | tuple[Step, ...]:
        if isinstance(i, slice):
            return tuple(map(self._fires.step, self._where[i]))
        return self._fires.step(self._where[i])

    def __iter__(self) -> Iterator[Step]:
        return map(self._fires.step, self._where)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@attrs.frozen(kw_only=True)
class BatchResult:
    """What :meth:`Run.fire_many` did.

    Attributes:
        fired: steps of the units that moved, in batch order (a sequence whose
            steps are built when read).
        refused: verdicts of the units whose gate or ordering did not hold.
    """

    fired: Sequence[Step]
    refused: tuple[Verdict, ...]
