"""Static checks of a campaign definition (``campaign.check()``, ``campaignflow check``)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.combinators import AllOf, AnyOf, Not, walk
from campaignflow.definition.context import evidence_name
from campaignflow.definition.model import Definition, Transition
from campaignflow.definition.rules import CountAtLeast, CustomRule, Rule
from campaignflow.exceptions import DefinitionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from campaignflow.definition.builder import CampaignBuilder
    from campaignflow.testing import Scenario


@attrs.frozen(kw_only=True)
class Problem:
    """One thing ``check`` found.

    Attributes:
        kind: ``definition``, ``dead_end``, ``no_actor``, ``open_to_any_actor``,
            ``deadlock``, ``unsatisfiable``, ``missing_label`` or ``unrecorded_evidence``.
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

    Declared rules are judged from their thresholds (no search); custom rules by
    random search over the evidence types they declare, with as many records as
    the campaign's thresholds need. Every kind of defect is reported together.

    Args:
        campaign: the campaign (built or not).
        budget: generated scenarios tried per custom rule before it is reported.
    """
    try:
        definition = campaign.build()
    except DefinitionError as exc:
        problems = [
            Problem(kind="definition", severity="error", subject=campaign.id, message=p) for p in exc.problems
        ]
        # The rest of the checks need a valid definition; the gates can still be judged.
        gates = [(t, "/".join(t.sources)) for t in campaign._transitions]  # noqa: SLF001 - its declarations
        problems += _impossible(gates, campaign._rules)  # noqa: SLF001
        return CheckReport(campaign=campaign.id, problems=tuple(problems))
    found: list[Problem] = []
    found += _dead_ends(definition)
    found += _no_actor(definition)
    found += _open_to_anyone(definition)
    found += _labels(definition)
    found += _unrecorded(definition, campaign)
    found += _deadlocks(definition)
    found += _impossible([(t, "/".join(t.sources)) for t in definition.transitions], definition.rules)
    found += _unsatisfiable(definition, budget)
    return CheckReport(campaign=definition.id, problems=tuple(found))


def _deadlocks(d: Definition) -> list[Problem]:
    from campaignflow.testing._deadlocks import deadlocks  # noqa: PLC0415 - the analysis lives in testing/

    return [
        Problem(
            kind="deadlock",
            severity="error",
            subject=event,
            message="ordering deadlock across levels: " + "; ".join(chain) + ": no unit can ever fire it",
        )
        for event, chain in deadlocks(d)
    ]


def _impossible(gates: list[tuple[Transition, str]], rules: Mapping[str, Rule]) -> list[Problem]:
    """Gates of declared rules whose thresholds contradict one another (worked out, not searched)."""
    from campaignflow.testing._reasoning import labels, unsatisfiable  # noqa: PLC0415

    out: list[Problem] = []
    for t, stages in gates:
        gate = _resolved(t.gate, rules) if t.gate is not None else None
        if gate is None:
            continue
        why = unsatisfiable(gate)
        if why is None:
            continue
        where = f"gate of {t.event!r} (leaving {stages})"
        if len(why) == 1:
            (rule,) = why
            message = f"{labels(why)} can never hold in the {where}"
            if isinstance(rule, CountAtLeast) and rule.where is not None:
                message += f": its where= filter refuses every value of {evidence_name(rule.of)}"
            else:
                message += ": check its thresholds"
        else:
            message = f"the {where} can never hold: {labels(why)} contradict one another"
        out.append(
            Problem(
                kind="unsatisfiable",
                severity="error",
                subject=why[0].id if len(why) == 1 else gate.id,
                message=message,
            )
        )
    return out


def _resolved(rule: Rule, rules: Mapping[str, Rule]) -> Rule | None:
    """``rule`` with every reference replaced by the rule it names (``None``: one names nothing)."""
    from campaignflow.definition.gates import Ref  # noqa: PLC0415 - references exist only in declarations

    if isinstance(rule, Ref):
        return rules.get(rule.id)
    if isinstance(rule, AllOf | AnyOf):
        parts = [_resolved(r, rules) for r in rule.rules]
        return (
            None if any(p is None for p in parts) else attrs.evolve(rule, rules=tuple(p for p in parts if p))
        )
    if isinstance(rule, Not):
        inner = _resolved(rule.rule, rules)
        return None if inner is None else attrs.evolve(rule, rule=inner)
    return rule


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


def _open_to_anyone(d: Definition) -> list[Problem]:
    """Transitions without ``allowed=``: any actor whose scope holds the unit may fire them."""
    return [
        Problem(
            kind="open_to_any_actor",
            severity="warning",
            subject=t.event,
            message=(
                f"no allowed= on the transition from {'/'.join(t.sources)}: any actor whose scope holds "
                "the unit may fire it; name the roles (allowed=cf.role(...)) unless that is meant"
            ),
        )
        for t in d.transitions
        if t.allowed is None
    ]


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
    """Custom rules no generated evidence satisfies: a random search, reported as one."""
    from hypothesis import HealthCheck, Phase, find, settings  # noqa: PLC0415 - only checks need hypothesis
    from hypothesis.errors import NoSuchExample, Unsatisfiable  # noqa: PLC0415

    from campaignflow.testing._reasoning import thresholds  # noqa: PLC0415
    from campaignflow.testing.strategies import _custom_scenarios  # noqa: PLC0415

    records = max(12, thresholds({t.event: t.gate for t in d.transitions if t.gate is not None}) + 2)
    out: list[Problem] = []
    seen: set[str] = set()
    # Any example will do: no shrinking, which would cost most of the time; derandomised,
    # and hypothesis's own output kept off stdout, so that `--format json` stays JSON.
    quiet = settings(
        max_examples=budget,
        database=None,
        deadline=None,
        derandomize=True,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    for t in d.transitions:
        if t.gate is None:
            continue
        for leaf, negated in _leaves(t.gate):
            if leaf.id in seen or not isinstance(leaf, CustomRule):
                continue
            seen.add(leaf.id)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    find(
                        _custom_scenarios(leaf, records=records),
                        _judge(leaf, want=not negated),
                        settings=quiet,
                    )
            except (NoSuchExample, Unsatisfiable):
                out.append(
                    Problem(
                        kind="unsatisfiable",
                        severity="warning",
                        subject=leaf.id,
                        message=(
                            f"custom rule 「{leaf.label}」 never {'failed' if negated else 'held'} "
                            f"in {budget} random scenarios of up to {2 * records} records of {_names(leaf)} "
                            f"(gate of {t.event!r}, leaving {'/'.join(t.sources)}): a random search, not a "
                            "proof; declare its reads= and roles=, or test it with assert_equivalent"
                        ),
                    )
                )
    return out


def _names(rule: Rule) -> str:
    return ", ".join(evidence_name(tp) for tp in rule.reads) or "no declared evidence type"
