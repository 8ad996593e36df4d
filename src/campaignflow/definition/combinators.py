"""Combinators of rules: all of, any of, not; and walking a rule tree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from campaignflow.definition.context import Context, Reads, evidence_name
from campaignflow.definition.rules import FAILED, CountAtLeast, QuickCheck, Rule, evaluate
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

    @property
    def reads_above(self) -> bool:
        return any(r.reads_above for r in self.rules)


@attrs.frozen(kw_only=True)
class AllOf(Combined):
    """Holds when every sub-rule holds; every sub-rule is evaluated and reported."""

    def quick(self, ctx: Reads) -> bool:
        for r in self.rules:  # noqa: SIM110 - a plain loop: all() over a generator costs more here
            if not r.quick(ctx):
                return False
        return True

    def quick_over(self) -> QuickCheck | None:
        # Plain counts of one kind all hold when the largest does: one length check for them.
        most: dict[str, int] = {}
        checks: list[QuickCheck] = []
        for r in self.rules:
            if isinstance(r, CountAtLeast) and r.where is None:
                name = evidence_name(r.of)
                most[name] = max(most.get(name, r.count), r.count)
                continue
            check = r.quick_over()
            if check is None:
                return None
            checks.append(check)
        counts = tuple(most.items())

        def holds(kinds: Mapping[str, Sequence[Any]]) -> bool:
            for name, count in counts:
                if len(kinds[name]) < count:
                    return False
            for check in checks:  # noqa: SIM110 - a plain loop: all() over a generator costs more here
                if not check(kinds):
                    return False
            return True

        return holds

    def evaluate(self, ctx: Context) -> Finding:
        found = tuple(evaluate(r, ctx) for r in self.rules)
        bad = [f for f in found if not f.passed]
        status = _worst(bad) if bad else Status.PASSED
        reason = f"{len(bad)} of {len(found)} failed" if bad else ""
        return Finding(rule=self.id, label=self.label, status=status, reason=reason, children=found)


@attrs.frozen(kw_only=True)
class AnyOf(Combined):
    """Holds when at least one sub-rule holds."""

    @property
    def quickable(self) -> bool:
        # A quick pass may stop at the first alternative that holds: the later ones' records
        # from above would then be read when the verdict is built, not at the check.
        return super().quickable and not self.reads_above

    def quick(self, ctx: Reads) -> bool:
        for r in self.rules:  # noqa: SIM110 - a plain loop: any() over a generator costs more here
            if r.quick(ctx):
                return True
        return False

    def quick_over(self) -> QuickCheck | None:
        checks = [r.quick_over() for r in self.rules]
        if any(c is None for c in checks):
            return None
        ready = [c for c in checks if c is not None]

        def holds(kinds: Mapping[str, Sequence[Any]]) -> bool:
            for check in ready:  # noqa: SIM110 - a plain loop: any() over a generator costs more here
                if check(kinds):
                    return True
            return False

        return holds

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
