"""Frozen definition values: stages, transitions, rework, and the built campaign."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from campaignflow.definition.actors import Allowed
from campaignflow.definition.hooks import Hook
from campaignflow.definition.obligations import Obligation
from campaignflow.definition.review import Review
from campaignflow.definition.rules import Rule
from campaignflow.definition.sharing import CountsBelow

SEPARATOR = "."
"""Joins a nested stage to its parent: ``"examine.meeting"``."""


@attrs.frozen(kw_only=True)
class Stage:
    """A stage (环节) of a campaign, optionally with nested sub-stages.

    Attributes:
        id: an identifier without ``"."`` (``"study"``).
        label: a human label in any language (``"学习教育、听取意见"``).
        substages: nested stages; a unit entering this stage enters the first one.
        due: when units should have left this stage (for overdue reports).
        due_after: how long a unit may stay in this stage from entering it (relative).
    """

    id: str
    label: str = ""
    substages: tuple[Stage, ...] = ()
    due: datetime | None = None
    due_after: timedelta | None = None


@attrs.frozen(kw_only=True)
class Transition:
    """An event (``hold_meeting``) moving a unit from one of ``sources`` to ``dest``.

    Attributes:
        event: the event name.
        sources: stage paths the event may leave (a compound stage covers its substages).
        dest: the stage path entered.
        gate: the rule (often a combinator) that must hold, or ``None``.
        order: ordering constraints across the hierarchy, checked before the gate.
        allowed: the roles that may fire it; ``None`` lets any actor in scope fire it.
        label: a human label (``"召开专题民主生活会"``).
    """

    event: str
    sources: tuple[str, ...]
    dest: str
    gate: Rule | None = None
    order: tuple[Rule, ...] = ()
    allowed: Allowed | None = None
    label: str = ""


@attrs.frozen(kw_only=True)
class Escalation:
    """Passed to a rework's ``escalate`` callback when a unit exceeds the limit.

    Attributes:
        unit: the unit sent back once too often.
        stage: the stage it was sent back to.
        count: its send-back count for that stage (``limit + 1``).
        limit: the rework limit.
        reason: the reason given with the send-back that crossed the limit.
        actor: who sent it back.
        at: ISO time of that send-back.
    """

    unit: str
    stage: str
    count: int
    limit: int
    reason: str
    actor: str
    at: str


EscalateFn = Callable[[Escalation], Any]


@attrs.frozen(kw_only=True)
class Rework:
    """Units may be sent back to ``stage`` (返工、补课) from any later stage.

    Attributes:
        stage: the stage path units are sent back to.
        limit: send-backs to this stage a unit may take; the one that exceeds it
            calls ``escalate``, once per unit.
        escalate: called with an :class:`Escalation`; ``None`` only records it.
        allowed: roles that may send back (``None``: any actor whose scope holds the
            unit's parent, i.e. someone above the unit).
        redo: the evidence types a send-back voids: after it, every gate counts
            only those recorded since the unit's latest send-back to ``stage``.
    """

    stage: str
    limit: int = 3
    escalate: EscalateFn | None = None
    allowed: Allowed | None = None
    redo: tuple[type[Any], ...] = ()


@attrs.frozen(kw_only=True)
class Definition:
    """A built, validated campaign: what :class:`Campaign.build` returns.

    Attributes:
        id: the campaign id.
        label: its human label.
        stages: the top-level stages, in order.
        transitions: every declared transition.
        reworks: rework declarations by stage path.
        rules: custom rules registered by id.
        evidence_types: evidence types by name (declared or read by a rule).
        paths: every stage path (compound and leaf), depth first.
        leaves: the leaf stage paths in order; a unit is always in one of these.
        initial: the leaf a unit starts in.
        stage_labels: labels by stage path.
        dues: due times by stage path, for stages that have one.
        due_afters: how long a unit may stay, by stage path, for stages with a relative deadline.
        obligations: recurring obligations by id.
        counts_below: cross-level evidence declarations by evidence type name.
        reviews: look-back reviews by name.
        hooks: the host's hooks (``on_enter``, ``on_exit``, ``on_fire``, ``on_send_back``),
            in declaration order.
    """

    id: str
    label: str
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...]
    reworks: Mapping[str, Rework]
    rules: Mapping[str, Rule]
    evidence_types: Mapping[str, type[Any]]
    paths: tuple[str, ...]
    leaves: tuple[str, ...]
    initial: str
    stage_labels: Mapping[str, str]
    dues: Mapping[str, datetime] = attrs.field(factory=dict)
    due_afters: Mapping[str, timedelta] = attrs.field(factory=dict)
    obligations: Mapping[str, Obligation] = attrs.field(factory=dict)
    counts_below: Mapping[str, CountsBelow] = attrs.field(factory=dict)
    reviews: Mapping[str, Review] = attrs.field(factory=dict)
    hooks: tuple[Hook, ...] = ()

    @property
    def events(self) -> tuple[str, ...]:
        """Declared event names, in declaration order, without repeats."""
        return tuple(dict.fromkeys(t.event for t in self.transitions))

    @property
    def nested(self) -> bool:
        """True when some stage has substages."""
        return any(s.substages for s in self.stages)

    def transitions_for(self, event: str) -> tuple[Transition, ...]:
        """The transitions declared for ``event``."""
        return tuple(t for t in self.transitions if t.event == event)

    def label_of(self, stage: str) -> str:
        """A stage's label, or its path when it has none."""
        return self.stage_labels.get(stage) or stage

    def covers(self, stage: str, leaf: str) -> bool:
        """True when ``leaf`` is ``stage`` or nested inside it."""
        return leaf == stage or leaf.startswith(stage + SEPARATOR)

    def deadline(self, leaf: str, since: datetime | None) -> datetime | None:
        """When a unit that entered ``leaf`` at ``since`` is late: the earliest of its deadlines.

        ``since`` ``None``: the entry time is unknown, only absolute deadlines count.
        """
        found = [due for path, due in self.dues.items() if self.covers(path, leaf)]
        if since is not None:
            found.extend(since + after for path, after in self.due_afters.items() if self.covers(path, leaf))
        return min(found, default=None)

    def first_leaf(self, stage: str) -> str:
        """The leaf a unit enters when it enters ``stage``."""
        for leaf in self.leaves:
            if self.covers(stage, leaf):
                return leaf
        msg = f"no leaf under stage {stage!r}"
        raise KeyError(msg)
