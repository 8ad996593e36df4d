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

NOW = "now"
"""The store metadata key where a finished simulation records the time of its last step (ISO)."""


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
    """The time of the log's last step, or ``None`` for an empty log.

    Read from the last checkpoint's batch (a batch's steps share one time):
    one unit's history, not the whole log.
    """
    point = None
    for point in store.checkpoints():  # noqa: B007 - the last one is wanted
        pass
    if point is None or not point.heads:
        return None
    unit = point.heads[0][0]
    times = [s.at for s in store.history(unit) if point.first_seq <= s.seq <= point.last_seq]
    return as_time(max(times), datetime.now(UTC)) if times else None


def default_moment(store: Any, *, now: datetime | None = None) -> Moment:
    """The moment to judge at without ``--at``.

    A finished simulation (a store whose ``now`` metadata holds its last step's
    time, as the demo records) is judged then; any other run at the wall clock.
    """
    meta = getattr(store, "meta", None)
    recorded = meta(NOW) if meta is not None else None
    if recorded:
        try:
            return Moment(
                at=as_time(recorded, now or datetime.now(UTC)),
                reason="the last step of a finished simulation",
            )
        except ValueError:
            pass  # not a time: judge now
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
