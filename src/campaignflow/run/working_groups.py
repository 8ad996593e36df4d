"""Reading a run per working group of people (住村联户工作组): coverage and progress.

宫村镇 formed 10 住村联户 working groups, each cadre linked to five households
(一联五). :func:`working_group_coverage` judges a coverage rule for each group's
members; :func:`working_group_progress` counts the units each group is stationed
in, per stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from campaignflow.definition.context import Context
from campaignflow.definition.people_rules import Coverage
from campaignflow.definition.rules import evaluate
from campaignflow.values.findings import Finding

if TYPE_CHECKING:
    from campaignflow.run.state import RunState


@attrs.frozen(kw_only=True)
class WorkingGroupProgress:
    """Where the units a working group is stationed in stand.

    Attributes:
        group: the working group's id; ``name`` its name; ``leader`` its leader's id.
        units: the units it is stationed in.
        by_stage: units per stage label.
        blocked: units whose last attempt was refused.
        sent_back: units sent back at least once.
    """

    group: str
    name: str
    leader: str
    units: tuple[str, ...]
    by_stage: dict[str, int]
    blocked: int
    sent_back: int


def working_group_coverage(run: RunState, unit: str, rule: Coverage) -> dict[str, Finding]:
    """``rule`` judged at ``unit`` for each working group with members among its people.

    Returns:
        The finding per working group id, labelled ``"<rule label> · <group name>"``;
        a group's shortfall names its own cadres only.
    """
    org = run.org
    people = set(org.people(unit, rule.among))
    stage = run.stage_of(unit)
    ctx = Context(unit=unit, stage=stage, event="", actor=None, now=run.clock(), run=run)
    out: dict[str, Finding] = {}
    for w in org.working_groups():
        if not people & set(w.members):
            continue
        found = evaluate(attrs.evolve(rule, members=w.members), ctx)
        out[w.id] = attrs.evolve(found, label=f"{rule.label} · {w.name}")
    return out


def working_group_progress(run: RunState) -> tuple[WorkingGroupProgress, ...]:
    """For each working group, the stages of the units it is stationed in."""
    labels = run.labels
    out = []
    for w in run.org.working_groups():
        by_stage: dict[str, int] = {}
        blocked = sent_back = 0
        for u in w.units:
            state = run.state(u)
            key = labels.stage(state.stage)
            by_stage[key] = by_stage.get(key, 0) + 1
            blocked += state.blocked is not None
            sent_back += bool(state.reworks)
        out.append(
            WorkingGroupProgress(
                group=w.id,
                name=w.name,
                leader=w.leader,
                units=w.units,
                by_stage=by_stage,
                blocked=blocked,
                sent_back=sent_back,
            )
        )
    return tuple(out)
