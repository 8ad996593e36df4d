"""Whether a gate of declared rules can hold at all, worked out from its thresholds.

A gate is put in disjunctive normal form over its leaves (``not_`` pushed down,
``any_of`` branches kept apart); each conjunction is satisfiable when, per
evidence type, the counts and per field the sums leave a non-empty interval, and
no ``where=`` filter refuses every value of a type whose fields take finitely many
values (booleans, enums). Other rules (people, approvals, ordering, custom) are
taken to be able to go either way here: custom rules are searched at random
elsewhere, and said to be.
"""

from __future__ import annotations

import enum
import itertools
import math
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from campaignflow.definition.combinators import AllOf, AnyOf, Not
from campaignflow.definition.rules import CountAtLeast, Rule, SumAtLeast
from campaignflow.testing._values import candidates

Literal = tuple[Rule, bool]  # a leaf, and whether it must hold (False: must fail)
MAX_TERMS = 512  # conjunctions tried before the gate is taken to be satisfiable


def terms(rule: Rule, *, holds: bool = True) -> Iterator[list[Literal]]:
    """The conjunctions of leaves under which ``rule`` holds (``holds=False``: fails)."""
    if isinstance(rule, Not):
        yield from terms(rule.rule, holds=not holds)
        return
    if isinstance(rule, AllOf | AnyOf):
        conjunctive = isinstance(rule, AllOf) == holds
        children = rule.children
        if conjunctive:
            parts = [list(itertools.islice(terms(c, holds=holds), MAX_TERMS)) for c in children]
            for combo in itertools.islice(itertools.product(*parts), MAX_TERMS):
                yield [lit for part in combo for lit in part]
        else:
            for c in children:
                yield from terms(c, holds=holds)
        return
    yield [(rule, holds)]


def finite_values(of: type[Any]) -> list[Any] | None:
    """Every value of ``of`` when each field takes finitely many values (``None`` otherwise)."""
    if not attrs.has(of):
        return None
    attrs.resolve_types(of)
    options: list[tuple[str, tuple[Any, ...]]] = []
    for f in attrs.fields(of):
        tp = f.type
        inner = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
        if not all(isinstance(a, type) and issubclass(a, bool | enum.Enum) for a in inner):
            return None
        options.append((f.alias or f.name, candidates(tp)))
    out = []
    for combo in itertools.product(*(values for _, values in options)):
        try:
            out.append(of(**dict(zip((name for name, _ in options), combo, strict=True))))
        except (ValueError, TypeError):
            continue
    return out


def _nothing_passes(where: Callable[[Any], bool], of: type[Any]) -> bool:
    values = finite_values(of)
    if values is None:
        return False
    for v in values:
        try:
            if where(v):
                return False
        except Exception:  # noqa: BLE001, S112 - a filter that raises on a value does not take it
            continue
    return True


@attrs.define
class _Bounds:
    low: float = 0.0
    high: float = math.inf
    why_low: Rule | None = None
    why_high: Rule | None = None


def conflict(term: list[Literal]) -> list[Rule] | None:  # noqa: PLR0912 - one bound after another
    """The rules that contradict one another in ``term``, or ``None`` when it can hold."""
    counts: dict[tuple[type[Any], int], _Bounds] = {}  # (type, id of where or 0): records counted
    sums: dict[tuple[type[Any], str], tuple[float, float, Rule | None, Rule | None]] = {}
    for rule, holds in term:
        if isinstance(rule, CountAtLeast):
            if rule.where is not None and holds and rule.count > 0 and _nothing_passes(rule.where, rule.of):
                return [rule]
            b = counts.setdefault((rule.of, id(rule.where) if rule.where else 0), _Bounds())
            if holds and rule.count > b.low:
                b.low, b.why_low = rule.count, rule
            elif not holds and rule.count - 1 < b.high:
                b.high, b.why_high = rule.count - 1, rule
        elif isinstance(rule, SumAtLeast):
            low, high, wl, wh = sums.get((rule.of, rule.field), (-math.inf, math.inf, None, None))
            if holds and rule.total > low:
                low, wl = rule.total, rule
            elif not holds and rule.total < high:
                high, wh = rule.total, rule
            sums[(rule.of, rule.field)] = (low, high, wl, wh)
    for b in counts.values():
        if b.low > b.high:
            return [r for r in (b.why_low, b.why_high) if r is not None]
    for (of, _), b in counts.items():  # a filtered count never exceeds the plain count
        plain = counts.get((of, 0))
        if plain is not None and b.low > plain.high:
            return [r for r in (b.why_low, plain.why_high) if r is not None]
    for (of, _), (low, high, wl, wh) in sums.items():
        if low >= high:  # at least `low`, and under `high`
            return [r for r in (wl, wh) if r is not None]
        plain = counts.get((of, 0))
        if plain is not None and plain.high == 0 and not (low <= 0 < high):
            return [r for r in (plain.why_high, wl if low > 0 else wh) if r is not None]
    return None


def unsatisfiable(rule: Rule, *, holds: bool = True) -> list[Rule] | None:
    """The rules that make ``rule`` impossible (to hold, or with ``holds=False`` to fail).

    ``None`` when some scenario may satisfy it (or the form is too large to decide).
    """
    first: list[Rule] | None = None
    for n, term in enumerate(terms(rule, holds=holds)):
        if n >= MAX_TERMS:
            return None
        why = conflict(term)
        if why is None:
            return None
        first = first or why
    return first


def labels(rules: list[Rule]) -> str:
    """The rules named by label (and id where they differ), for a message."""
    return ", ".join(
        f"「{r.label}」" + (f" ({r.id})" if r.label != r.id else "") for r in dict.fromkeys(rules)
    )


def thresholds(rules: Mapping[str, Rule]) -> int:
    """The largest count threshold among ``rules``: how many records a custom rule may need."""
    from campaignflow.definition.combinators import walk  # noqa: PLC0415 - keeps the import list of this module short

    most = 0
    for root in rules.values():
        for r in walk(root):
            for value in r.thresholds.values():
                if math.isfinite(value):
                    most = max(most, math.ceil(value))
    return most
