"""The campaign as it stood at a moment, rebuilt from the log: ``report --at DATE``.

Every step up to the moment is replayed through the campaign (the checks of
``verify``), into a memory store that holds that prefix of the log and the
projection it gives; the run opened on it has a clock stopped at the moment,
so progress, blocked units, the 曝光台, stage deadlines and duties are judged
then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from campaignflow.definition.model import Definition
from campaignflow.definition.obligations import as_time
from campaignflow.exceptions import VerifyError
from campaignflow.org.graph import Org
from campaignflow.run.clock import FixedClock
from campaignflow.run.replay import _Replayer, open_run
from campaignflow.run.run import Run
from campaignflow.store import MemoryStore, Store

LAST_STEP = "last-step"
"""The value of the store's ``now`` metadata that a finished simulation records."""


@attrs.frozen(kw_only=True)
class Moment:
    """When a report judges, and why then.

    Attributes:
        at: the moment (aware).
        reason: why this moment, in words (``"--at 2014-03-10"``, ``"the last step
            of a finished simulation"``, ``"now"``).
    """

    at: datetime
    reason: str


def last_step_time(store: Store) -> datetime | None:
    """The time of the log's last step, or ``None`` for an empty log."""
    last = None
    for step in store.steps():
        last = step
    return None if last is None else as_time(last.at, datetime.now(UTC))


def default_moment(store: Any, *, now: datetime | None = None) -> Moment:
    """The moment to judge at without ``--at``.

    A finished simulation (a store whose ``now`` metadata is ``"last-step"``, as
    the demo records) is judged at its last step; any other run at the wall clock.
    """
    meta = getattr(store, "meta", None)
    if meta is not None and meta("now") == LAST_STEP:
        last = last_step_time(store)
        if last is not None:
            return Moment(at=last, reason="the last step of a finished simulation")
    return Moment(at=now or datetime.now(UTC), reason="now")


def run_as_of(definition: Definition, org: Org, store: Store, at: datetime) -> Run:
    """The run as it stood at ``at``: the log's steps up to then, replayed.

    Raises:
        VerifyError: a step up to ``at`` does not replay (the log is damaged:
            ``campaignflow verify`` names where).
    """
    replay = _Replayer(definition, org)
    prefix = []
    for step in store.steps():
        if as_time(step.at, at) > at:
            continue
        problem = replay.apply(step)
        if problem:
            msg = f"the log does not replay up to {at.isoformat()}: {problem}"
            raise VerifyError(msg, unit=step.unit, seq=step.seq)
        prefix.append(step)
    memory = MemoryStore()
    memory.bind(definition.id, fresh=True, evidence_types=definition.evidence_types)
    touched = dict.fromkeys(s.unit for s in prefix)
    if prefix:
        memory.append(prefix, [replay.row(u) for u in touched], {})
    return open_run(definition, org, memory, clock=FixedClock(at))
