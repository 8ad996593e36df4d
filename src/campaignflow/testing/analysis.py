"""Static checks of a campaign definition (``campaign.check()``, ``campaignflow check``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.combinators import Not, walk
from campaignflow.definition.context import evidence_name
from campaignflow.definition.model import Definition
from campaignflow.definition.rules import CustomRule, Rule
from campaignflow.exceptions import DefinitionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from campaignflow.definition.builder import CampaignBuilder
    from campaignflow.testing import Scenario


@attrs.frozen(kw_only=True)
class Problem:
    """One thing ``check`` found.

    Attributes:
        kind: ``definition``, ``dead_end``, ``no_actor``, ``unsatisfiable``,
            ``missing_label`` or ``unrecorded_evidence``.
        severity: ``error`` (the campaign cannot work as meant) or ``warning``.
        subject: the stage, event or rule concerned.
        message: what is wrong and what to do.
    """

    kind: str
    severity: str
    subject: str
    message: str


@attrs.frozen(kw_only=True)
class CheckReport:
    """Every problem found in a campaign definition."""

    campaign: str
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "campaign": self.campaign,
            "ok": self.ok,
            "problems": [attrs.asdict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def text(self) -> str:
        """One line per problem, errors first, then a summary line."""
        order = sorted(self.problems, key=lambda p: (p.severity != "error", p.kind, p.subject))
        lines = [f"{p.severity}: [{p.kind}] {p.subject}: {p.message}" for p in order]
        errors = sum(p.severity == "error" for p in self.problems)
        lines.append(f"{self.campaign}: {errors} errors, {len(self.problems) - errors} warnings")
        return "\n".join(lines)


def check_campaign(campaign: CampaignBuilder, *, budget: int = 100) -> CheckReport:
    """Check a campaign for the defects that make it not work as meant.

    Args:
        campaign: the campaign (built or not).
        budget: generated scenarios tried per rule before it is called unsatisfiable.
    """
    try:
        definition = campaign.build()
    except DefinitionError as exc:
        problems = tuple(
            Problem(kind="definition", severity="error", subject=campaign.id, message=p) for p in exc.problems
        )
        return CheckReport(campaign=campaign.id, problems=problems)
    found: list[Problem] = []
    found += _dead_ends(definition)
    found += _no_actor(definition)
    found += _labels(definition)
    found += _unrecorded(definition, campaign)
    found += _unsatisfiable(definition, budget)
    return CheckReport(campaign=definition.id, problems=tuple(found))


def _dead_ends(d: Definition) -> list[Problem]:
    """Leaves with no way out that come before stages that still have one."""
    leaving = {s for t in d.transitions for leaf in d.leaves for s in t.sources if d.covers(s, leaf) and leaf}
    has_exit = [leaf for leaf in d.leaves if any(d.covers(s, leaf) for s in leaving)]
    last_exit = max((d.leaves.index(leaf) for leaf in has_exit), default=-1)
    return [
        Problem(
            kind="dead_end",
            severity="error",
            subject=leaf,
            message="no transition leaves this stage, yet later stages exist: units entering it are stuck",
        )
        for i, leaf in enumerate(d.leaves)
        if leaf not in has_exit and i < last_exit
    ]


def _no_actor(d: Definition) -> list[Problem]:
    out = [
        Problem(
            kind="no_actor",
            severity="error",
            subject=t.event,
            message="allowed= names no role: nobody may fire it",
        )
        for t in d.transitions
        if t.allowed is not None and not t.allowed.roles
    ]
    out += [
        Problem(
            kind="no_actor", severity="error", subject=f"rework {stage}", message="allowed= names no role"
        )
        for stage, rw in d.reworks.items()
        if rw.allowed is not None and not rw.allowed.roles
    ]
    return out


def _labels(d: Definition) -> list[Problem]:
    out = [
        Problem(kind="missing_label", severity="warning", subject=path, message="stage has no label")
        for path in d.paths
        if not d.stage_labels.get(path)
    ]
    out += [
        Problem(kind="missing_label", severity="warning", subject=t.event, message="transition has no label")
        for t in d.transitions
        if not t.label
    ]
    seen: set[str] = set()
    for t in d.transitions:
        for root in (t.gate, *t.order):
            for r in walk(root) if root is not None else ():
                if not r.children and r.label == r.id and r.id not in seen:
                    seen.add(r.id)
                    out.append(
                        Problem(
                            kind="missing_label",
                            severity="warning",
                            subject=r.id,
                            message="rule has no label: verdicts will show its id to clerks",
                        )
                    )
    return out


def _unrecorded(d: Definition, campaign: CampaignBuilder) -> list[Problem]:
    declared = {evidence_name(tp) for tp in campaign._evidence}  # noqa: SLF001 - the campaign's own declarations
    read: dict[str, str] = {}
    for t in d.transitions:
        if t.gate is not None:
            for r in walk(t.gate):
                for tp in r.reads:
                    read.setdefault(evidence_name(tp), r.id)
    return [
        Problem(
            kind="unrecorded_evidence",
            severity="warning",
            subject=name,
            message=f"read by rule {rule!r} but never declared with campaign.evidence(): is it recorded?",
        )
        for name, rule in read.items()
        if name not in declared
    ]


def _leaves(rule: Rule, negated: bool = False) -> list[tuple[Rule, bool]]:
    if not rule.children:
        return [(rule, negated)]
    return [leaf for child in rule.children for leaf in _leaves(child, negated ^ isinstance(rule, Not))]


def _judge(rule: Rule, *, want: bool) -> Callable[[Scenario], bool]:
    def judged(scenario: Scenario) -> bool:
        return scenario.passes(rule) == want

    return judged


def _unsatisfiable(d: Definition, budget: int) -> list[Problem]:
    from hypothesis import HealthCheck, Phase, find, settings  # noqa: PLC0415 - only checks need hypothesis
    from hypothesis.errors import NoSuchExample, Unsatisfiable  # noqa: PLC0415

    from campaignflow.testing.strategies import evidence_against, evidence_for  # noqa: PLC0415

    out: list[Problem] = []
    seen: set[str] = set()
    # Any example will do: no shrinking, which would cost most of the time.
    quiet = settings(
        max_examples=budget,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    for t in d.transitions:
        if t.gate is None:
            continue
        for leaf, negated in _leaves(t.gate):
            if leaf.id in seen:
                continue
            seen.add(leaf.id)
            strategy = evidence_against(leaf) if negated else evidence_for(leaf)
            want = not negated
            try:
                find(strategy, _judge(leaf, want=want), settings=quiet)
            except (NoSuchExample, Unsatisfiable):
                kind = "custom rule" if isinstance(leaf, CustomRule) else "rule"
                out.append(
                    Problem(
                        kind="unsatisfiable",
                        severity="error",
                        subject=leaf.id,
                        message=(
                            f"no generated evidence makes this {kind} {'fail' if negated else 'hold'} "
                            f"in {budget} tries (gate of {t.event!r}): check its thresholds and filters"
                        ),
                    )
                )
    return out
