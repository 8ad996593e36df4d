"""Look-back reviews (回头看): named checks that reopen a stage when any fails.

``campaign.review("look_back", reopens="study", checks={"学习教育是否扎实": rule, ...})``
declares a review; ``run.review(unit, "look_back", by=actor)`` judges every check
now. A failed review sends the unit back to ``reopens`` and records a
:class:`ReviewRecord` naming the failed checks; every transition leaving that
stage then carries a :class:`ReviewsPassed` rule, which judges the failed checks
again and refuses until each passes. A passed review records that it passed and
moves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from campaignflow.definition.actors import Allowed
from campaignflow.definition.context import Context
from campaignflow.definition.rules import Rule, evaluate
from campaignflow.values.findings import Finding, Status


@attrs.frozen(kw_only=True)
class Review:
    """A declared look-back review.

    Attributes:
        name: the review's name (``"look_back"``).
        label: its label (``"回头看"``).
        reopens: the stage a failed review sends the unit back to.
        checks: ``(label, rule)`` pairs, judged in order.
        allowed: roles that may review (``None``: anyone above the unit).
    """

    name: str
    label: str
    reopens: str
    checks: tuple[tuple[str, Rule], ...]
    allowed: Allowed | None = None

    def check(self, label: str) -> Rule | None:
        """The rule of the check labelled ``label``."""
        return next((r for lb, r in self.checks if lb == label), None)


@attrs.frozen(kw_only=True)
class ReviewRecord:
    """Evidence of a review's outcome, recorded at the unit it judged.

    Attributes:
        review: the review's name.
        passed: True when every check passed.
        failed: the labels of the checks that failed.
    """

    review: str
    passed: bool
    failed: tuple[str, ...] = ()


def judge_checks(review: Review, ctx: Context) -> Finding:
    """Every check of ``review`` judged now, as one finding with a child per check."""
    found = tuple(_as_check(review, label, evaluate(rule, ctx)) for label, rule in review.checks)
    bad = [f.label for f in found if not f.passed]
    status = Status.PASSED if not bad else Status.FAILED
    reason = (
        f"{len(bad)} of {len(found)} checks failed: {'、'.join(bad)}"
        if bad
        else f"all {len(found)} checks pass"
    )
    return Finding(
        rule=f"review:{review.name}", label=review.label, status=status, reason=reason, children=found
    )


def _as_check(review: Review, label: str, f: Finding) -> Finding:
    status = Status.FAILED if f.status is Status.ERROR else f.status  # an error never passes
    return attrs.evolve(f, rule=f"review:{review.name}:{label}", label=label, status=status)


@attrs.frozen(kw_only=True)
class ReviewsPassed(Rule):
    """Leaving ``stage`` waits until the failed checks of the latest failed review pass again."""

    stage: str
    reviews: tuple[Review, ...]
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        out: dict[type[Any], None] = {ReviewRecord: None}
        for review in self.reviews:
            for _, rule in review.checks:
                out.update(dict.fromkeys(rule.reads))
        return tuple(out)

    def evaluate(self, ctx: Context) -> Finding:
        latest: dict[str, ReviewRecord] = {}
        for r in ctx.records(ReviewRecord):
            latest[r.value.review] = r.value
        parts: list[Finding] = []
        for review in self.reviews:
            outcome = latest.get(review.name)
            if outcome is None or outcome.passed:
                continue
            for label in outcome.failed:
                rule = review.check(label)
                if rule is not None:
                    parts.append(_as_check(review, f"{review.label}: {label}", evaluate(rule, ctx)))
        still = [f.label for f in parts if not f.passed]
        if not parts:
            return Finding(rule=self.id, label=self.label, reason="no failed review to re-check")
        if not still:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"the {len(parts)} failed checks pass again",
                children=tuple(parts),
            )
        return Finding(
            rule=self.id,
            label=self.label,
            status=Status.FAILED,
            reason=f"{len(still)} of {len(parts)} failed checks still fail: {'; '.join(still)}",
            children=tuple(parts),
            missing=tuple(still),
        )


def make_review(
    name: str,
    *,
    reopens: str,
    checks: Mapping[str, Rule],
    label: str = "",
    allowed: Allowed | None = None,
) -> Review:
    """A review, its declaration checked (the campaign checks the stage when built)."""
    from campaignflow.exceptions import DefinitionError  # noqa: PLC0415 - the definition layer's errors

    problems = []
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(f"review name {name!r} must be an identifier")
    if not isinstance(checks, Mapping) or not checks:
        problems.append("checks= needs at least one {label: rule}")
    else:
        problems.extend(
            f"check {lb!r}: {r!r} is not a rule (use cf.count_at_least(...), cf.all_of(...), ...)"
            for lb, r in checks.items()
            if not isinstance(lb, str) or not lb or not isinstance(r, Rule)
        )
    if problems:
        msg = f"review {name!r}: " + "; ".join(problems)
        raise DefinitionError(msg, problems=tuple(problems))
    return Review(
        name=name, label=label or name, reopens=reopens, checks=tuple(checks.items()), allowed=allowed
    )


def build_reviews(
    declared: Mapping[str, Review],
    known: set[str],
    reworks: Mapping[str, Any],
    resolve: Callable[[Rule, str], Rule],
    problems: list[str],
) -> dict[str, Review]:
    """The declared reviews, checks resolved; each must reopen a stage units can be sent back to."""
    out: dict[str, Review] = {}
    for name, review in declared.items():
        where = f"review {name!r}"
        if review.reopens not in known:
            problems.append(f"{where}: reopens unknown stage {review.reopens!r}")
        elif review.reopens not in reworks:
            problems.append(
                f"{where}: reopens {review.reopens!r}, but no rework to it is declared: "
                f"add campaign.rework({review.reopens!r}) so units can be sent back there"
            )
        checks = tuple((lb, resolve(r, f"{where}, check {lb!r}")) for lb, r in review.checks)
        out[name] = attrs.evolve(review, checks=checks)
    return out
