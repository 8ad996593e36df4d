"""``run.review(unit, name, by=actor)``: judge a look-back review and reopen what fails.

The review's checks are judged now. A passed review records a
:class:`~campaignflow.ReviewRecord` and moves nothing; a failed one records it and
sends the unit back to the reviewed stage in one write (counted like any
send-back, logged with the failed checks in the step's verdict), and the stage
then holds the unit until the failed checks pass again (see ``_review``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from campaignflow._actors import Actor
from campaignflow._authz import require_above, require_actor
from campaignflow._context import Context
from campaignflow._findings import Finding, Verdict
from campaignflow._records import Step
from campaignflow._review import ReviewRecord, judge_checks
from campaignflow.exceptions import UnknownEvent

if TYPE_CHECKING:
    from campaignflow._run import Run


@attrs.frozen(kw_only=True)
class ReviewResult:
    """What a review found and did.

    Attributes:
        unit: the unit reviewed.
        review: the review's name.
        passed: True when every check passed.
        checks: each check's label and finding, in declaration order.
        verdict: the review as a verdict (``explain()`` for a clerk).
        step: the step written: the record of a passed review, the send-back of a failed one.
    """

    unit: str
    review: str
    passed: bool
    checks: tuple[tuple[str, Finding], ...]
    verdict: Verdict
    step: Step

    @property
    def failed(self) -> tuple[str, ...]:
        """The labels of the failed checks."""
        return tuple(label for label, f in self.checks if not f.passed)

    def explain(self) -> str:
        """The review's verdict as text."""
        return self.verdict.explain()


def review_unit(run: Run, unit: str, name: str, *, by: Actor) -> ReviewResult:
    """Judge review ``name`` for ``unit``; reopen the reviewed stage when a check fails.

    Raises:
        UnknownUnit: the unit is not in the org.
        UnknownEvent: the campaign declares no such review.
        PermissionDenied: the actor is not above the unit or lacks the review's roles.
        InvalidTransition: the review failed and the unit is not past the reviewed stage.
    """
    definition = run.definition
    review = definition.reviews.get(name)
    stage = run.stage_of(unit)  # raises UnknownUnit first
    if review is None:
        raise UnknownEvent(f"review:{name}", campaign=definition.id, known=tuple(definition.reviews))
    event = f"review:{name}"
    actor = require_actor(by, unit=unit, action=event)
    allowed = review.allowed or definition.reworks[review.reopens].allowed
    try:
        require_above(run.org, actor, unit=unit, action=event, allowed=allowed)
    except Exception as exc:
        run._deny(unit, actor, event, exc)  # noqa: SLF001 - a refused review is an audit event too
        raise
    now = run.clock()
    ctx = Context(unit=unit, stage=stage, event=event, actor=actor, now=now, run=run)
    root = judge_checks(review, ctx)
    verdict = Verdict(unit=unit, event=event, stage=stage, at=now.isoformat(), root=root, labels=run.labels)
    checks = tuple((f.label, f) for f in root.children)
    outcome = ReviewRecord(
        review=name, passed=root.passed, failed=tuple(lb for lb, f in checks if not f.passed)
    )
    if root.passed:
        step = run.record(unit, outcome, by=actor)
    else:
        rec = run._unit(unit)  # noqa: SLF001 - the send-back and the record are one write
        reason = f"{review.label}: {'、'.join(outcome.failed)} 未通过, 重新开展"
        step = run._send_back(  # noqa: SLF001
            unit,
            rec,
            review.reopens,
            reason=reason,
            actor=actor,
            event_name=event,
            verdict=verdict,
            record=outcome,
        )
    return ReviewResult(unit=unit, review=name, passed=root.passed, checks=checks, verdict=verdict, step=step)
