"""Combinators of rules: all of, any of, not; and walking a rule tree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from campaignflow.definition.context import Context, Reads
from campaignflow.definition.rules import FAILED, Rule, evaluate
from campaignflow.values.findings import Finding, Status


@attrs.frozen(kw_only=True)
class Combined(Rule):
    """What every combinator of several rules shares: its children, what they read, whether it is quick."""

    rules: tuple[Rule, ...]
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return _union_reads(self.rules)

    @property
    def children(self) -> tuple[Rule, ...]:
        return self.rules

    @property
    def quickable(self) -> bool:
        return all(r.quickable for r in self.rules)


@attrs.frozen(kw_only=True)
class AllOf(Combined):
    """Holds when every sub-rule holds; every sub-rule is evaluated and reported."""

    def quick(self, ctx: Reads) -> bool:
        for r in self.rules:  # noqa: SIM110 - a plain loop: all() over a generator costs more here
            if not r.quick(ctx):
                return False
        return True

    def evaluate(self, ctx: Context) -> Finding:
        found = tuple(evaluate(r, ctx) for r in self.rules)
        bad = [f for f in found if not f.passed]
        status = _worst(bad) if bad else Status.PASSED
        reason = f"{len(bad)} of {len(found)} failed" if bad else ""
        return Finding(rule=self.id, label=self.label, status=status, reason=reason, children=found)


@attrs.frozen(kw_only=True)
class AnyOf(Combined):
    """Holds when at least one sub-rule holds."""

    def quick(self, ctx: Reads) -> bool:
        for r in self.rules:  # noqa: SIM110 - a plain loop: any() over a generator costs more here
            if r.quick(ctx):
                return True
        return False

    def evaluate(self, ctx: Context) -> Finding:
        found = tuple(evaluate(r, ctx) for r in self.rules)
        if any(f.passed for f in found):
            return Finding(rule=self.id, label=self.label, children=found)
        return Finding(
            rule=self.id,
            label=self.label,
            status=_worst(found),
            reason="none of the alternatives holds",
            children=found,
        )


@attrs.frozen(kw_only=True)
class Not(Rule):
    """Holds when the sub-rule fails (an error in the sub-rule stays an error)."""

    rule: Rule
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return self.rule.reads

    @property
    def children(self) -> tuple[Rule, ...]:
        return (self.rule,)

    def evaluate(self, ctx: Context) -> Finding:
        inner = evaluate(self.rule, ctx)
        if inner.status is Status.ERROR:
            return Finding(
                rule=self.id,
                label=self.label,
                status=Status.ERROR,
                reason=inner.reason,
                children=(inner,),
            )
        if inner.passed:
            return Finding(
                rule=self.id,
                label=self.label,
                status=FAILED,
                reason=f"{inner.label or inner.rule} holds, and must not",
                children=(inner,),
            )

        return Finding(rule=self.id, label=self.label, children=(inner,))


def _worst(found: Iterable[Finding]) -> Status:
    return Status.ERROR if any(f.status is Status.ERROR for f in found) else Status.FAILED


def _union_reads(rules: Iterable[Rule]) -> tuple[type[Any], ...]:
    out: dict[type[Any], None] = {}
    for r in rules:
        out.update(dict.fromkeys(r.reads))
    return tuple(out)


def walk(rule: Rule) -> Iterable[Rule]:
    """Every rule in a gate tree, root first."""
    yield rule
    for child in rule.children:
        yield from walk(child)
