"""What run operations return: a unit's state, a batch's outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from campaignflow.run.rollup import Blocked
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


@attrs.frozen(kw_only=True)
class BatchResult:
    """What :meth:`Run.fire_many` did.

    Attributes:
        fired: steps of the units that moved.
        refused: verdicts of the units whose gate or ordering did not hold.
    """

    fired: tuple[Step, ...]
    refused: tuple[Verdict, ...]
